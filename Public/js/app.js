// The platform's only script file: pages carry data attributes instead of inline handlers, so the
// Content-Security-Policy can forbid inline script.
(function () {
  "use strict";

  // <form data-confirm="…">: asks before a destructive or irreversible post.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) ev.preventDefault();
  }, true);

  // <button data-print>: prints the page.
  document.addEventListener("click", function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("[data-print]") : null;
    if (el) { ev.preventDefault(); window.print(); }
  });

  // <a data-busy="正在生成…">: a slow download (a PDF) is fetched here so the page can say it is on its way, count the
  // seconds, and say when it is done or why it failed; a second click does not start another.
  document.addEventListener("click", function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("a[data-busy]") : null;
    if (!el) return;
    ev.preventDefault();
    if (el.dataset.started) return;
    el.dataset.started = "1";
    var note = el.nextElementSibling && el.nextElementSibling.classList.contains("busy-note") ? el.nextElementSibling : null;
    if (!note) {
      note = document.createElement("span");
      note.className = "field-note busy-note"; note.setAttribute("role", "status");
      el.insertAdjacentElement("afterend", note);
    }
    var started = Date.now();
    function tick() { note.textContent = " " + el.dataset.busy + "（已用 " + Math.round((Date.now() - started) / 1000) + " 秒）"; }
    tick();
    var timer = setInterval(tick, 1000);
    function done(text) { clearInterval(timer); delete el.dataset.started; note.textContent = " " + text; }
    fetch(el.href, { credentials: "same-origin" }).then(function (res) {
      if (!res.ok) {
        return res.json().then(function (j) { done("生成失败：" + ((j && j.message) || res.status)); },
          function () { done("生成失败（" + res.status + "），请稍后重试"); });
      }
      var name = "download.pdf";
      var cd = res.headers.get("Content-Disposition") || "";
      var m = /filename\*=UTF-8''([^;]+)/i.exec(cd) || /filename="?([^";]+)"?/i.exec(cd);
      if (m) { try { name = decodeURIComponent(m[1]); } catch (e) { name = m[1]; } }
      return res.blob().then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob); a.download = name;
        document.body.appendChild(a); a.click(); a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);
        done("已生成（" + ((Date.now() - started) / 1000).toFixed(1) + " 秒），已开始下载");
      });
    }, function () { done("网络错误，PDF 未生成，请重试"); });
  });

  // <button data-fill="id" data-value="…">: puts a suggested value into a field (e.g. S_h from a previous draw).
  document.addEventListener("click", function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("[data-fill]") : null;
    if (!el) return;
    var field = document.getElementById(el.dataset.fill);
    if (field) { field.value = el.dataset.value || ""; field.dispatchEvent(new Event("input", { bubbles: true })); field.focus(); }
  });

  // <select data-navigate="/path?x=">: opens the path with the chosen value appended.
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.dataset && el.dataset.navigate !== undefined) location.href = el.dataset.navigate + encodeURIComponent(el.value);
  });

  // Survey screening: <input type="radio" data-screens="X.used"> shows the questions marked data-asked-if="X.used"
  // only once the enterprise answers 是 (the server drops them on 否; without script every question shows).
  function screen(code) {
    var yes = document.querySelector('input[data-screens="' + code + '"][value="是"]');
    var show = !!(yes && yes.checked);
    Array.prototype.forEach.call(document.querySelectorAll('[data-asked-if="' + code + '"]'), function (el) { el.hidden = !show; });
  }
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.dataset && el.dataset.screens) screen(el.dataset.screens);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var seen = {};
    Array.prototype.forEach.call(document.querySelectorAll("input[data-screens]"), function (el) {
      if (!seen[el.dataset.screens]) { seen[el.dataset.screens] = true; screen(el.dataset.screens); }
    });
  });

  // The server's reason for a refused request, in Chinese, from the JSON error envelope.
  function reason(status, text) {
    var j = {}; try { j = JSON.parse(text); } catch (e) {}
    var e = j.error || {}, f = e.fields || {};
    var first = Object.keys(f).map(function (k) { return f[k]; })[0];
    if (first || e.message) return first || e.message;
    if (status === 413) return "文件超过大小上限";
    return "服务器未接受（HTTP " + status + "）";
  }

  // Saves what was typed in a form so that a reload after an upload does not lose it (restored on load).
  function keep(form) {
    if (!form || !window.sessionStorage) return;
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "_csrf" || el.type === "file" || el.type === "hidden") return;
      if (el.type === "checkbox" || el.type === "radio") { if (el.checked) (values[el.name] = values[el.name] || []).push(el.value); }
      else values[el.name] = el.value;
    });
    sessionStorage.setItem("keep:" + location.pathname, JSON.stringify(values));
  }
  function restore(form) {
    if (!form || !window.sessionStorage) return;
    var raw = sessionStorage.getItem("keep:" + location.pathname); if (!raw) return;
    sessionStorage.removeItem("keep:" + location.pathname);
    var values = {}; try { values = JSON.parse(raw); } catch (e) { return; }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!(el.name in values)) return;
      if (el.type === "checkbox" || el.type === "radio") el.checked = values[el.name].indexOf(el.value) >= 0;
      else el.value = values[el.name];
    });
    var note = document.getElementById("autosave");
    if (note) note.textContent = "已恢复上传前填写但尚未保存的内容，请保存";
    form.dispatchEvent(new Event("input"));
  }

  // <input type="file" data-upload="/url?x=1" data-max-mb="50" data-extra="issued-on:issued">: streams the file
  // as the request body and shows progress and the server's reason beside the field.
  function upload(input) {
    var file = input.files[0]; if (!file) return;
    var status = document.getElementById(input.dataset.status || "") || input.parentNode.querySelector(".upload-status");
    if (!status) { status = document.createElement("span"); status.className = "upload-status field-note"; input.insertAdjacentElement("afterend", status); }
    status.classList.remove("error");
    var max = Number(input.dataset.maxMb || 0);
    if (max > 0 && file.size > max * 1024 * 1024) {
      status.textContent = "上传失败：文件超过 " + max + " MB 的上限"; status.classList.add("error"); input.value = ""; return;
    }
    var csrf = document.querySelector("input[name=_csrf]");
    var url = input.dataset.upload + (input.dataset.upload.indexOf("?") >= 0 ? "&" : "?") + "name=" + encodeURIComponent(file.name);
    (input.dataset.extra || "").split(",").forEach(function (pair) {
      var p = pair.split(":"); var el = p[0] && document.getElementById(p[0]);
      if (el && el.value) url += "&" + p[1] + "=" + encodeURIComponent(el.value);
    });
    var xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    if (csrf) xhr.setRequestHeader("X-CSRF-Token", csrf.value);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) status.textContent = "正在上传 " + file.name + " " + Math.round(e.loaded * 100 / e.total) + "%"; };
    xhr.onload = function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        var j = {}; try { j = JSON.parse(xhr.responseText); } catch (e) {}
        keep(document.querySelector("form[data-keep]"));
        if (j.url) location.href = j.url; else location.reload();
        return;
      }
      status.textContent = "上传失败：" + reason(xhr.status, xhr.responseText); status.classList.add("error"); input.value = "";
    };
    xhr.onerror = function () {
      status.textContent = "上传失败：连接中断（文件可能超过 " + (max || "允许的") + " MB 上限或类型不受支持），请检查后重试";
      status.classList.add("error"); input.value = "";
    };
    status.textContent = "正在上传 " + file.name + " …";
    xhr.send(file);
  }
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.type === "file" && el.dataset && el.dataset.upload) upload(el);
  });

  // <main id="…" data-refresh="60">: a wall display (the leaders' board) fetches its own page every N seconds and
  // swaps the element's content, so it stays current without reload and without flashing. When the fetch fails or
  // the session has ended (the answer is not this page), the old figures stay and the page says since when.
  function refresh(el) {
    var seconds = parseInt(el.dataset.refresh, 10);
    if (!(seconds >= 10)) return;
    setInterval(function () {
      fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.text();
      }).then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById(el.id);
        if (!next) throw new Error("not the board");
        el.innerHTML = next.innerHTML;
        document.body.classList.remove("stale");
      }).catch(function () {
        document.body.classList.add("stale");
        var note = el.querySelector(".updated");
        if (note && note.textContent.indexOf("未能刷新") < 0) note.textContent += "（未能刷新，稍后重试）";
      });
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-keep]").forEach(restore);
    document.querySelectorAll("[data-refresh][id]").forEach(refresh);
  });
})();
