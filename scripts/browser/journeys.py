#!/usr/bin/env python3
"""Live-server browser tier (issue 17): the built `yingshang` binary on a free port with a fresh data directory
(SQLite, or PostgreSQL when --database-url is given), driven in Debian's headless Chromium through Selenium by
clicking and typing, one journey per role; then a crawl of every page each role can reach from its home page.

Fails (exit 1) on: a journey step that does not do what a user expects, any 4xx/5xx behind a link the UI shows,
any console error (CSP violations included), any page slower than --slow-ms. A screenshot per step goes to
--shots (a CI artifact; a few are copied to docs/screenshots by hand).

  python3 scripts/browser/journeys.py --binary .build/debug/yingshang [--database-url postgres://...]
"""
import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (StaleElementReferenceException, TimeoutException, UnexpectedAlertPresentException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

PASSWORD = "demo12345"
ROLES = ["admin", "secadmin", "auditor", "coordinator", "leader", "unithead", "filer", "filer_tax", "assessor", "donghu"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StepTimeout(Exception):
    pass


class Failures(list):
    def add(self, where, what):
        line = f"[{where}] {what}"
        print("FAIL " + line, flush=True)
        self.append(line)


class Tier:
    def __init__(self, args):
        self.args = args
        self.failures = Failures()
        self.shots = os.path.abspath(args.shots)
        shutil.rmtree(self.shots, ignore_errors=True)
        os.makedirs(self.shots, exist_ok=True)
        self.step_no = 0
        self.data = tempfile.mkdtemp(prefix="yingshang-browser-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.driver = None
        self.downloads = os.path.join(self.data, "downloads")
        os.makedirs(self.downloads)

    # --- server -------------------------------------------------------------------------------------------------
    def start_server(self):
        env = dict(os.environ, YINGSHANG_DATA_DIR=self.data, YINGSHANG_SECURE_COOKIES="false", LOG_LEVEL="warning")
        if self.args.database_url:
            env["DATABASE_URL"] = self.args.database_url
        else:
            env.pop("DATABASE_URL", None)
        cmd = [self.args.binary, "demo", "--password", PASSWORD, "--serve", "--register-size", "3000",
               "--port", str(self.port)]
        self.log = open(os.path.join(self.shots, "server.log"), "w")
        self.server = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.args.root,
                                       start_new_session=True)
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"server exited with {self.server.returncode}; see {self.shots}/server.log")
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2)
                return
            except Exception:
                time.sleep(1)
        raise SystemExit("server did not answer /healthz within 300 s")

    def stop_server(self):
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)

    # --- browser ------------------------------------------------------------------------------------------------
    def start_browser(self):
        o = webdriver.ChromeOptions()
        o.binary_location = self.args.chromium
        for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN"]:
            o.add_argument(a)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        o.add_experimental_option("prefs", {"download.default_directory": self.downloads,
                                            "download.prompt_for_download": False})
        self.driver = webdriver.Chrome(service=Service(self.args.chromedriver), options=o)
        self.driver.set_page_load_timeout(60)
        self.driver.set_script_timeout(30)
        # A hung browser command fails the step after two minutes instead of holding CI to its limit.
        self.driver.command_executor._client_config.timeout = 120

    @property
    def d(self):
        return self.driver

    def shot(self, name):
        self.step_no += 1
        path = os.path.join(self.shots, f"{self.step_no:03d}-{name}.png")
        try:
            self.d.save_screenshot(path)
        except UnexpectedAlertPresentException:
            pass
        self.console(name)

    def console(self, where):
        """Fails on any SEVERE console entry: script errors, CSP violations, failed loads."""
        try:
            for entry in self.d.get_log("browser"):
                if entry.get("level") == "SEVERE":
                    msg = entry.get("message", "")
                    # An upload the server refused on purpose logs its 4xx; that refusal is what the step checks.
                    if "expect-refusal" in where and ("415" in msg or "422" in msg or "413" in msg):
                        continue
                    self.failures.add(where, "console: " + msg[:300])
        except Exception as e:  # noqa: BLE001
            self.failures.add(where, f"could not read console: {e}")

    def wait(self, cond, timeout=15):
        def retrying(d):
            try:
                return cond(d)
            except WebDriverException as e:
                # A node looked up in the page being left (after a submit): Chromium reports it this way rather than
                # as a stale element. Ask again on the next poll; anything else is a real failure.
                if "does not belong to the document" in (e.msg or ""):
                    return False
                raise
        return WebDriverWait(self.d, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(retrying)

    def go(self, path):
        self.d.get(self.base + path)

    def text(self):
        return self.d.find_element(By.TAG_NAME, "body").text

    def expect(self, where, ok, what):
        if not ok:
            self.failures.add(where, what)
        return ok

    def login(self, user):
        self.d.delete_all_cookies()
        self.go("/login")
        self.d.find_element(By.NAME, "username").send_keys(user)
        self.d.find_element(By.NAME, "password").send_keys(PASSWORD)
        self.d.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
        self.wait(EC.url_to_be(self.base + "/"))
        self.shot(f"{user}-home")

    def click_link(self, text, scope="main"):
        el = self.wait(EC.element_to_be_clickable((By.XPATH, f"//{scope}//a[normalize-space(.)='{text}']")))
        el.click()

    def click_and_load(self, el, timeout=30, confirm=False):
        """Clicks what posts a form and waits until the old page is gone: the next page may hold the same
        elements (.flash, .timeline) as the old one, so waiting for them alone can return before the post lands."""
        # A marker on the old window object: the next document does not have it. Asking the old <html> whether it
        # is stale (EC.staleness_of) can fail mid-navigation with Chrome's "Node with given id does not belong to
        # the document" instead of a stale-element error, which failed a CI run.
        self.d.execute_script("window.__ysOldPage = true;")
        el.click()
        if confirm:
            self.accept_confirm()

        def loaded(driver):
            try:
                return driver.execute_script(
                    "return window.__ysOldPage !== true && document.readyState !== 'loading';")
            except UnexpectedAlertPresentException:
                raise
            except WebDriverException:
                return False  # the page is between documents; ask again

        self.wait(loaded, timeout)

    def submit_transition(self, action, reason=""):
        sel = Select(self.d.find_element(By.NAME, "action"))
        sel.select_by_value(action)
        if reason:
            self.d.find_element(By.NAME, "reason").send_keys(reason)
        self.click_and_load(self.d.find_element(By.XPATH, "//select[@name='action']/ancestor::form//button[@type='submit']"))
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash, .timeline")))
        errors = [e.text for e in self.d.find_elements(By.CSS_SELECTOR, ".flash-error ul, .field-error, .flash.error") if e.text.strip()]
        if errors:
            raise AssertionError(f"transition {action} refused: " + " | ".join(errors)[:400])

    def accept_confirm(self):
        try:
            self.wait(EC.alert_is_present(), 5).accept()
        except TimeoutException:
            pass

    def session_opener(self):
        """urllib with the browser's cookies, to fetch downloads and crawl by status code."""
        jar = http.cookiejar.CookieJar()
        for c in self.d.get_cookies():
            jar.set_cookie(http.cookiejar.Cookie(
                0, c["name"], c["value"], None, False, "127.0.0.1", False, False, "/", True, False, None, False, None,
                None, {}))
        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def fetch(self, path):
        opener = self.session_opener()
        start = time.time()
        try:
            res = opener.open(self.base + path, timeout=60)
            return res.status, res.read(), res.headers, (time.time() - start) * 1000
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers, (time.time() - start) * 1000

    # --- journeys -----------------------------------------------------------------------------------------------
    def journey_public(self):
        self.d.delete_all_cookies()
        self.go("/public")
        self.shot("public-logged-out")
        self.expect("public", "青山县" in self.text(), "/public does not name the county")
        links = self.d.find_elements(By.CSS_SELECTOR, "main a, article a")
        self.expect("public", True, "")
        return links

    def journey_filing(self):
        """Reopen → the unit fills in with evidence → submit → approve → return with a reason → resubmit → accept."""
        w = "filing"
        self.login("coordinator")
        self.go("/filings?state=accepted")
        self.click_link("开办企业")
        self.filing_url = self.d.current_url
        self.submit_transition("reopen", "浏览器测试：请补充印证资料")
        self.shot("coordinator-reopened")
        self.expect(w, "草稿" in self.text(), "reopened filing is not a draft")

        self.login("filer")
        self.d.get(self.filing_url)
        self.shot("filer-filing")
        number = self.d.find_element(By.CSS_SELECTOR, "input[data-kind=number]")
        number.clear()
        number.send_keys("3")
        typed_id = number.get_attribute("id")
        # A file the server refuses by its content: the reason appears beside the field, not "网络错误".
        fake = os.path.join(self.data, "营业执照.pdf")
        with open(fake, "wb") as f:
            f.write(b"MZ\x90\x00" + b"\x00" * 4000)
        upload = self.d.find_elements(By.CSS_SELECTOR, "input[type=file][data-upload]")[0]
        upload.send_keys(fake)
        status = self.wait(lambda d: (lambda s: s if s and "上传失败" in s.text else False)(
            upload.find_element(By.XPATH, "following-sibling::*[contains(@class,'upload-status')]")))
        self.shot("filer-upload-refused-expect-refusal")
        self.expect(w, "网络" not in status.text and "HTTP" not in status.text and len(status.text) > 8,
                    f"refused upload shows no reason beside the field: {status.text!r}")
        # A real PDF: accepted; the page reloads and the typed, unsaved answer comes back.
        pdf = os.path.join(self.data, "政策文件.pdf")
        with open(pdf, "wb") as f:
            f.write(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
        # Evidence for every item (required ones block submission): each upload reloads the page.
        count = len(self.d.find_elements(By.CSS_SELECTOR, "input[type=file][data-upload*='item=q']"))
        for i in range(count):
            before = len(self.d.find_elements(By.CSS_SELECTOR, "ul.files li"))
            upload = self.d.find_elements(By.CSS_SELECTOR, "input[type=file][data-upload*='item=q']")[i]
            upload.send_keys(pdf)
            self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "ul.files li")) > before, 60)
            if i == 0:
                self.shot("filer-uploaded")
                kept = self.d.find_element(By.ID, typed_id).get_attribute("value")
                self.expect(w, kept == "3", f"answer typed before the upload was lost after the reload (now {kept!r})")
        self.click_and_load(self.d.find_element(By.CSS_SELECTOR, "#filing-form button.primary"))
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash")))
        self.submit_transition("submit")
        self.shot("filer-submitted")

        self.login("unithead")
        self.d.get(self.filing_url)
        self.submit_transition("approve")
        self.shot("unithead-approved")

        self.login("coordinator")
        self.d.get(self.filing_url)
        self.submit_transition("return", "时限数据与业务系统不一致，请核对")
        self.shot("coordinator-returned")
        self.expect(w, "已退回" in self.text() or "退回" in self.text(), "return not shown")

        self.login("filer")
        self.d.get(self.filing_url)
        self.expect(w, "时限数据与业务系统不一致" in self.text(), "the return reason is not shown to the filer")
        self.submit_transition("submit")
        self.login("unithead")
        self.d.get(self.filing_url)
        self.submit_transition("approve")
        self.login("coordinator")
        self.d.get(self.filing_url)
        self.submit_transition("accept")
        self.shot("coordinator-accepted")
        self.expect(w, "审批局已通过" in self.text(), "filing not accepted at the end")

    def journey_sampling_and_survey(self):
        w = "survey"
        self.login("assessor")
        self.go("/campaigns")
        self.click_link("2022 年度县域营商环境评价（示例）")
        cid = self.d.current_url.rstrip("/").split("/")[-1]
        self.go(f"/campaigns/{cid}/samples")
        size = self.d.find_element(By.NAME, "size")
        size.clear()
        size.send_keys("40")
        self.click_and_load(self.d.find_element(By.XPATH, "//form[contains(@action,'/samples/preview')]//button[@type='submit']"))
        self.wait(EC.presence_of_element_located((By.XPATH, "//form[substring(@action, string-length(@action) - 7) = '/samples']")))
        self.shot("assessor-allocation")
        self.d.find_element(By.XPATH, "//form[substring(@action, string-length(@action) - 7) = '/samples']//button[@type='submit']").click()
        self.wait(EC.url_matches(r"/samples/[0-9A-Fa-f-]{36}$"))
        draw_url = self.d.current_url
        self.draw_path = urllib.parse.urlparse(draw_url).path
        self.shot("assessor-draw")
        self.expect(w, '{"' not in self.text(), "the draw page shows raw JSON")
        self.click_and_load(self.d.find_element(By.XPATH, "//form[contains(@action,'/surveys')]//button"), 60)
        self.wait(lambda d: "问卷链接" in d.find_element(By.CSS_SELECTOR, ".flash").text, 30)
        status, body, _, _ = self.fetch(urllib.parse.urlparse(draw_url).path + "/surveys.csv")
        self.expect(w, status == 200 and body.startswith(b"\xef\xbb\xbf"), f"links CSV: {status}")
        tokens = re.findall(r"/s/([A-Za-z0-9_-]{16,})", body.decode("utf-8", "replace"))
        if not self.expect(w, bool(tokens), "no survey links in the CSV"):
            return
        header = body.decode("utf-8", "replace").lstrip("\ufeff").splitlines()[0]
        self.expect(w, "查询码" in header and "有效期至" in header, f"links CSV lacks 查询码/有效期至: {header}")
        # The printed letter's QR code, as Chromium draws it, read by a real decoder (what WeChat does with paper).
        self.go(urllib.parse.urlparse(draw_url).path + "/letters")
        self.shot("assessor-letters")
        qr = self.d.find_elements(By.CSS_SELECTOR, ".letter .qr svg")
        if self.expect(w, bool(qr), "the letter has no QR code"):
            png = os.path.join(self.shots, "letter-qr.png")
            with open(png, "wb") as f:
                f.write(qr[0].screenshot_as_png)
            out = subprocess.run(["zbarimg", "--raw", "-q", png], capture_output=True, text=True, timeout=60)
            link = self.d.find_element(By.CSS_SELECTOR, ".letter strong").text.strip()
            self.expect(w, out.returncode == 0 and out.stdout.strip() == link,
                        f"zbarimg read {out.stdout.strip()!r} (exit {out.returncode}) from the letter's QR code, link {link!r}")
        # Every link not yet answered is on the letters (one batch here), as the print button says; a batch number
        # past the end, even one too large for any integer, shows that batch rather than an error.
        letters = len(self.d.find_elements(By.CSS_SELECTOR, ".letter"))
        self.expect(w, letters == len(set(tokens)) and f"打印全部 {letters} 封邀请函" in self.text(),
                    f"{letters} letters for {len(set(tokens))} links: {self.text()[:80]!r}")
        self.go(urllib.parse.urlparse(draw_url).path + "/letters?batch=99999999999999999999")
        self.expect(w, len(self.d.find_elements(By.CSS_SELECTOR, ".letter")) == letters, "a batch past the end lost the letters")
        self.go(urllib.parse.urlparse(draw_url).path + f"?page={2**63 - 1}")
        self.expect(w, f"待提醒企业（{len(set(tokens))}）" in self.text(), f"the draw page at a huge page number: {self.text()[:120]!r}")
        # The enterprise, on a phone, logged out.
        self.d.delete_all_cookies()
        self.d.set_window_size(390, 844)
        self.go("/s/" + tokens[0])
        self.shot("survey-phone")
        # Only the screening questions show at first; 是 opens that indicator's questions, 否 keeps them closed.
        visible = lambda: [e for e in self.d.find_elements(By.CSS_SELECTOR, ".survey-item") if e.is_displayed()]
        screens = self.d.find_elements(By.CSS_SELECTOR, "input[data-screens][value='是']")
        self.expect(w, len(screens) >= 10 and not visible(), f"{len(screens)} screening questions, {len(visible())} questions shown before any answer")
        for r in screens[:3]:
            self.d.execute_script("arguments[0].click()", r)
        for r in self.d.find_elements(By.CSS_SELECTOR, "input[data-screens][value='否']")[3:]:
            self.d.execute_script("arguments[0].click()", r)
        opened = visible()
        self.expect(w, 3 <= len(opened) <= 3 * 6, f"{len(opened)} questions shown after 是 for three indicators")
        self.shot("survey-screened")
        for r in [e for e in self.d.find_elements(By.CSS_SELECTOR, "input[type=radio][value='4']") if e.is_displayed()]:
            self.d.execute_script("arguments[0].click()", r)
        self.d.find_element(By.CSS_SELECTOR, "form button[type=submit][name=submit], form button.primary").click()
        self.wait(lambda d: "感谢" in d.find_element(By.TAG_NAME, "body").text or "已提交" in d.find_element(By.TAG_NAME, "body").text, 20)
        self.shot("survey-submitted")
        self.d.set_window_size(1280, 900)

    def journey_scoring_and_report(self):
        w = "scoring"
        self.login("coordinator")
        self.go("/scores")
        self.click_link("2022 年度县域营商环境评价（示例）")
        self.click_and_load(self.d.find_element(By.XPATH, "//form[contains(@action,'/scores/run')]//button"), 60, confirm=True)
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash")), 60)
        self.shot("coordinator-scored")
        explain = [a for a in self.d.find_elements(By.CSS_SELECTOR, "main a") if "/explain" in (a.get_attribute("href") or "")]
        if self.expect(w, bool(explain), "no explanation link on the scores page"):
            explain[0].click()
            self.shot("score-explanation")
            self.expect(w, "得分" in self.text(), "explanation page without the formula")
        cid = [p for p in urllib.parse.urlparse(self.d.current_url).path.split("/") if len(p) == 36][0]
        self.go(f"/campaigns/{cid}/report")
        self.shot("report")
        self.expect(w, "与2021 年度县域营商环境评价（示例）对比" in self.text(), "the report does not compare with last year")
        status, pdf, headers, ms = self.fetch(f"/campaigns/{cid}/report.pdf")
        if self.expect(w, status == 200 and pdf.startswith(b"%PDF"), f"report PDF: {status}"):
            path = os.path.join(self.data, "report.pdf")
            with open(path, "wb") as f:
                f.write(pdf)
            text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True).stdout
            self.expect(w, "营商环境" in text and "综合得分" in text, "PDF text lacks the Chinese report")
        status, xlsx, _, _ = self.fetch(f"/campaigns/{cid}/report.xlsx")
        self.expect(w, status == 200 and xlsx.startswith(b"PK"), f"report XLSX: {status}")
        self.go(f"/rectifications?campaign={cid}")
        form = self.d.find_elements(By.XPATH, "//form[contains(@action,'/rectifications/from-scores')]//button")
        if self.expect(w, bool(form), "no 'generate from scores' on the rectification ledger"):
            self.click_and_load(form[0], 60, confirm=True)
            self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash")), 30)
            self.shot("rectifications-generated")

    def journey_leaders_board(self):
        """The county leader opens the board from the campaign page; it updates itself in place (no reload) and
        offers a one-page print version."""
        w = "leaders_board"
        self.login("leader")
        self.go("/campaigns")
        self.click_link("2022 年度县域营商环境评价（示例）")
        links = self.d.find_elements(By.CSS_SELECTOR, "main a[href$='/cockpit']")
        if not self.expect(w, bool(links), "no leaders' board link on the campaign page"):
            return
        board = links[0].get_attribute("href")
        self.d.set_window_size(1920, 1080)
        try:
            self.d.get(board + "?refresh=10")
            self.shot("leaders-board")
            text = self.text()
            self.expect(w, "综合得分" in text and "比上年" in text, "the board lacks the score or last year's change")
            self.expect(w, bool(self.d.find_elements(By.CSS_SELECTOR, ".row.warning")), "no indicator marked red on the board")
            self.d.execute_script("window.__ysBoardMarker = true;")
            before = self.d.find_element(By.CSS_SELECTOR, ".updated").text
            try:
                self.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".updated").text != before, 30)
                self.expect(w, self.d.execute_script("return window.__ysBoardMarker === true;"), "the board reloaded instead of updating in place")
            except TimeoutException:
                self.expect(w, False, "the board did not refresh within 30 s at ?refresh=10")
            self.d.find_element(By.PARTIAL_LINK_TEXT, "打印版").click()
            self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "body.printable")))
            self.shot("leaders-board-print")
        finally:
            self.d.set_window_size(1280, 900)

    def journey_monitoring_rounds(self):
        """常态化监测: the bureau opens a round from the campaign page — a window inside the monitored quarter is
        refused beside its field with the input kept — then the trend page draws the scored rounds; the tax bureau's
        filer sees on its home page the running round it still owes."""
        w = "monitoring_rounds"
        self.login("coordinator")
        self.go("/campaigns")
        self.click_link("2022 年度县域营商环境评价（示例）")
        self.expect(w, "常态化监测（3 轮）" in self.text(), "the campaign page does not list its three demo rounds")
        self.click_link("新建监测轮次")
        self.wait(EC.presence_of_element_located((By.NAME, "number")))
        Select(self.d.find_element(By.NAME, "period")).select_by_value("quarterly")
        for name, value in [("year", "2023"), ("number", "4")]:
            el = self.d.find_element(By.NAME, name)
            el.clear()
            el.send_keys(value)
        # A window inside the quarter it reports on: refused beside the field, the typed values kept.
        for name, value in [("filingStart", "2023-12-20"), ("filingEnd", "2023-12-29")]:
            self.d.execute_script("arguments[0].value = arguments[1];", self.d.find_element(By.NAME, name), value)
        self.click_and_load(self.d.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
        self.shot("round-expect-refusal")
        errors = " ".join(e.text for e in self.d.find_elements(By.CSS_SELECTOR, ".field-error"))
        self.expect(w, "晚于监测期末" in errors, f"the window inside the quarter was not refused beside its field: {errors[:200]}")
        self.expect(w, self.d.find_element(By.NAME, "number").get_attribute("value") == "4", "the round number was not kept after the error")
        for name, value in [("filingStart", "2024-01-08"), ("filingEnd", "2024-01-19")]:
            self.d.execute_script("arguments[0].value = arguments[1];", self.d.find_element(By.NAME, name), value)
        self.click_and_load(self.d.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
        self.shot("round-created")
        text = self.text()
        self.expect(w, "2023年第4季度监测" in text and "监测期" in text, "the new round's page does not show its period")
        self.expect(w, "2024-01-08 至 2024-01-19" in text, "the new round's filing window is not the one entered")
        self.click_link("2022 年度县域营商环境评价（示例）（2023年第4季度监测轮次）")
        self.click_link("监测趋势")
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "main svg")))
        self.shot("round-trend")
        charts = self.d.find_elements(By.CSS_SELECTOR, "section.chart svg")
        self.expect(w, len(charts) >= 2, f"the trend page draws {len(charts)} charts, expected the overall score and indicators")
        self.expect(w, "2023年第4季度" in self.text(), "the trend page does not list the new round")
        # A B-READY-style topic: from the scores page to its explanation, which shows the three pillars.
        self.go("/campaigns")
        self.click_link("2023 年度 B-READY 式评价（示例）")
        self.d.get(self.d.current_url.split("?")[0] + "/scores")
        link = self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, "table.scores a[href*='indicator=br_business_entry']")))
        self.click_and_load(link)
        self.shot("bready-explain")
        text = self.text()
        self.expect(w, all(p in text for p in ["支柱 I 监管框架", "支柱 II 公共服务", "支柱 III 运行效率", "各支柱得分的平均"]),
                    "the B-READY topic's explanation does not show its three pillars")
        self.login("filer_tax")
        section = self.d.find_elements(By.CSS_SELECTOR, "#rounds")
        if self.expect(w, bool(section), "the tax bureau's home page does not list the rounds it owes"):
            self.expect(w, "2023年第3季度" in section[0].text and "未报送" in section[0].text,
                        f"the owed round is not shown as owed: {section[0].text[:200]}")

    def journey_data_feed(self):
        """The bureau issues a data feed key in the browser; the sample client pushes a CSV with it (twice: the
        second run is answered from the first receipts); a bad file is refused with its line named; the page lists
        the batch."""
        w = "data_feed"
        self.login("coordinator")
        self.go("/campaigns")
        self.click_link("2022 年度县域营商环境评价（示例）")
        links = self.d.find_elements(By.CSS_SELECTOR, "main a[href$='/feeds']")
        if not self.expect(w, bool(links), "no data feed link on the campaign page"):
            return
        links[0].click()
        self.d.find_element(By.NAME, "name").send_keys("一网通办系统（浏览器测试）")
        Select(self.d.find_element(By.NAME, "regionID")).select_by_index(1)
        Select(self.d.find_element(By.NAME, "indicatorCode")).select_by_value("starting_business")
        self.click_and_load(self.d.find_element(By.XPATH, "//form[contains(@action,'/feeds')]//button[@type='submit']"))
        secret = [e.text for e in self.d.find_elements(By.CSS_SELECTOR, "code.secret")]
        self.shot("feed-key-issued")
        if not self.expect(w, bool(secret) and secret[0].startswith("yk_"), "the issued key is not shown"):
            return
        good = os.path.join(self.data, "feed.csv")
        with open(good, "w", encoding="utf-8-sig") as f:
            f.write("办件编号,统一社会信用代码,申请日期,办结日期,费用（元）,环节数\n")
            for i in range(1, 6):
                f.write(f"WEB-{i},91350100M000100Y43,2022-10-1{i},2022-10-2{i},1.5,3\n")
        client = [sys.executable, os.path.join(os.path.dirname(__file__), "..", "feed-client.py"), "--url", self.base, "--key", secret[0], "--batch", "2"]
        first = subprocess.run(client + [good], capture_output=True, text=True, timeout=60)
        self.expect(w, first.returncode == 0 and first.stdout.count('"replayed": false') == 3, f"feed client: {first.stdout} {first.stderr}")
        again = subprocess.run(client + [good], capture_output=True, text=True, timeout=60)
        self.expect(w, again.returncode == 0 and again.stdout.count('"replayed": true') == 3, f"second run not replayed: {again.stdout} {again.stderr}")
        bad = os.path.join(self.data, "feed-bad.csv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("办件编号,统一社会信用代码,申请日期,办结日期\nWEB-9,91350100M000100Y43,2022-10-10,2022-10-01\n")
        refused = subprocess.run(client + [bad], capture_output=True, text=True, timeout=60)
        self.expect(w, refused.returncode == 1 and "CSV 第 2 行" in refused.stderr and "早于申请日期" in refused.stderr, f"bad file: {refused.stderr}")
        self.d.get(self.d.current_url)  # a GET, not a refresh of the POST that issued the key
        self.shot("feed-batches")
        self.expect(w, "3 / 5" in self.text(), "the page does not count 3 batches of 5 records")

    def journey_region_scope(self):
        """A province on one deployment (issue 21): the city's office scores the eight counties' campaign; 东湖县's
        office sees only that campaign, its own row and rank, no scoring button, and not 青山县's own campaign."""
        w = "region_scope"
        city_campaign = "2022 年度青山市县域营商环境评价（8 县示例）"
        county_campaign = "2022 年度县域营商环境评价（示例）"
        self.login("qscity")
        self.go("/campaigns")
        text = self.text()
        self.expect(w, city_campaign in text and county_campaign in text, "the city's office does not see its counties' campaigns")
        county_href = self.d.find_element(By.XPATH, f"//main//a[normalize-space(.)='{county_campaign}']").get_attribute("href")
        county_path = urllib.parse.urlparse(county_href).path
        self.click_link(city_campaign)
        cid = [p for p in urllib.parse.urlparse(self.d.current_url).path.split("/") if len(p) == 36][0]
        self.go(f"/campaigns/{cid}/scores")
        runs = self.d.find_elements(By.XPATH, "//form[contains(@action,'/scores/run')]//button")
        if not self.expect(w, bool(runs), "the city's office has no scoring button on its campaign"):
            return
        self.click_and_load(runs[0], 60, confirm=True)
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash")), 60)
        self.shot("region-city-scores")
        text = self.text()
        self.expect(w, all(n in text for n in ["东湖县", "西岭县", "青山县"]), "the city's scores do not show all its counties")

        self.login("donghu")
        self.go("/campaigns")
        self.shot("region-county-campaigns")
        text = self.text()
        self.expect(w, city_campaign in text, "东湖县 does not see the city campaign it is assessed in")
        self.expect(w, county_campaign not in text, "东湖县 sees 青山县's own campaign")
        self.go(f"/campaigns/{cid}/scores")
        self.shot("region-county-scores")
        text = self.text()
        self.expect(w, "东湖县" in text and "西岭县" not in text, "东湖县's scores page shows another county")
        self.expect(w, not self.d.find_elements(By.XPATH, "//form[contains(@action,'/scores/run') and not(contains(@action,'/recompute'))]"),
                    "a county is offered scoring of the whole city campaign")
        self.go(f"/campaigns/{cid}/report")
        self.shot("region-county-report")
        text = self.text()
        self.expect(w, "东湖县" in text and "/8 名" in text, "the county's report lacks its own rank among the eight")
        self.expect(w, "西岭县" not in text and "青山县" not in text, "the county's report names another county")
        status, _, _, _ = self.fetch(county_path)
        self.expect(w, status == 404, f"青山县's campaign opened for 东湖县: {status}")
        status, _, _, _ = self.fetch(f"/campaigns/{cid}/register")
        self.expect(w, status == 403, f"the city's register opened for one of its counties: {status}")
        # 青山县's draw, opened by its own id: not found for 东湖县, its sample neither shown nor exported.
        draw_path = getattr(self, "draw_path", None)
        if self.expect(w, draw_path is not None, "no draw was made earlier in the run"):
            for path in [draw_path, draw_path + "/export.csv"]:
                status, _, _, _ = self.fetch(path)
                self.expect(w, status == 404, f"{path} opened for 东湖县: {status}")
            # The letters need the drawing role, which a coordinator lacks: refused before the draw is looked up.
            status, _, _, _ = self.fetch(draw_path + "/letters")
            self.expect(w, status == 403, f"{draw_path}/letters for 东湖县's coordinator: {status}")

    def journey_administrators(self):
        """三员分立 as the three administrators meet it: the security administrator sets the policy (a bad value is
        named beside its field and kept) and changes a role; the system administrator cannot; the audit
        administrator reads both changes in the log."""
        w = "administrators"
        self.login("secadmin")
        self.go("/security-policy")
        field = self.d.find_element(By.NAME, "maxFailures")
        field.clear()
        field.send_keys("99")
        self.click_and_load(self.d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".field-error")))
        self.shot("security-policy-expect-refusal")
        self.expect(w, "3–10" in self.text(), "the refused lockout value is not explained beside its field")
        self.expect(w, self.d.find_element(By.NAME, "maxFailures").get_attribute("value") == "99", "the typed value was not kept")
        field = self.d.find_element(By.NAME, "maxFailures")
        field.clear()
        field.send_keys("6")
        self.click_and_load(self.d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash")))
        self.expect(w, "已保存安全策略" in self.text(), "the policy was not saved")
        self.go("/users?q=leader")
        self.click_link("调整角色")
        Select(self.d.find_element(By.NAME, "role")).select_by_value("coordinator")
        self.click_and_load(self.d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash")))
        self.shot("role-changed")
        self.expect(w, "已调整 leader 的角色" in self.text(), "the role change was not confirmed")
        # Put it back, so the crawl sees the leader as a leader.
        self.go("/users?q=leader")
        self.click_link("调整角色")
        Select(self.d.find_element(By.NAME, "role")).select_by_value("leader")
        self.click_and_load(self.d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash")))
        self.login("admin")
        status, _, _, _ = self.fetch("/audit")
        self.expect(w, status == 403, f"the system administrator reads the audit log: {status}")
        status, _, _, _ = self.fetch("/security-policy")
        self.expect(w, status == 403, f"the system administrator opens the security policy: {status}")
        self.login("auditor")
        self.go("/audit")
        self.shot("auditor-log")
        self.expect(w, "secadmin" in self.text(), "the audit log does not show the security administrator's changes")

    def journey_hostile(self):
        """Hostile requests against the live server, as a client sends them on the wire."""
        w = "hostile"
        # A JSON body announced at 100 MB is refused at once, before any of it is sent.
        start = time.time()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 104857600\r\n\r\n{")
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    head += chunk
            except socket.timeout:
                pass
        took = time.time() - start
        self.expect(w, head.startswith(b"HTTP/1.1 413"), f"announced 100 MB JSON body: {head[:60]!r} after {took:.1f} s")
        self.expect(w, took < 5, f"the 413 took {took:.1f} s")
        # Every response carries the security headers, errors included.
        for path in ["/login", "/public", "/no-such-page"]:
            status, _, headers, _ = self.fetch(path)
            for h in ["Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"]:
                self.expect(w, headers.get(h), f"{path} ({status}) lacks {h}")

    # --- crawl --------------------------------------------------------------------------------------------------
    SKIP = re.compile(r"(/logout|\.pdf$|\.zip$|/letters$|/delete$|/print$|lang=)")

    def crawl(self, user, limit):
        self.login(user)
        seen, queue, pages = set(), ["/"], 0
        while queue and pages < limit:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            status, body, headers, ms = self.fetch(path)
            where = f"crawl {user} {path}"
            if status >= 400:
                self.failures.add(where, f"HTTP {status} behind a link the UI shows")
                continue
            ctype = headers.get("Content-Type", "")
            if "text/html" not in ctype:
                continue
            pages += 1
            if ms > self.args.slow_ms:
                # One retry: a first visit may pay for a cold cache.
                _, _, _, ms2 = self.fetch(path)
                if ms2 > self.args.slow_ms:
                    self.failures.add(where, f"slow page: {ms:.0f} ms then {ms2:.0f} ms")
            # Console errors need the real browser: visit every page there too.
            self.d.get(self.base + path)
            self.console(where)
            for href in re.findall(r'href="([^"#]+)"', body.decode("utf-8", "replace")):
                href = href.replace("&amp;", "&")
                url = urllib.parse.urljoin(self.base + path, href)
                if not url.startswith(self.base):
                    continue
                p = url[len(self.base):]
                if self.SKIP.search(p) or p in seen:
                    continue
                # Paged lists: the first two pages are enough.
                m = re.search(r"[?&]page=(\d+)", p)
                if m and int(m.group(1)) > 2:
                    continue
                queue.append(p)
        print(f"crawl {user}: {pages} pages", flush=True)

    def run(self):
        self.start_server()
        self.start_browser()
        try:
            for step in [self.journey_public, self.journey_hostile, self.journey_filing, self.journey_sampling_and_survey,
                         self.journey_scoring_and_report, self.journey_leaders_board, self.journey_monitoring_rounds, self.journey_data_feed,
                         self.journey_region_scope, self.journey_administrators]:
                signal.signal(signal.SIGALRM, self.step_timeout)
                signal.alarm(self.args.step_seconds)
                try:
                    step()
                except Exception as e:  # noqa: BLE001
                    try:
                        self.shot(f"error-{step.__name__}")
                    except Exception:  # noqa: BLE001
                        pass
                    self.failures.add(step.__name__, f"{type(e).__name__}: {str(e)[:300]}")
                    if isinstance(e, (StepTimeout, TimeoutException)):
                        self.dump_server_stacks(step.__name__)
                    if isinstance(e, StepTimeout):
                        self.restart_browser()
                finally:
                    signal.alarm(0)
            for user in ROLES:
                try:
                    self.crawl(user, self.args.pages)
                except Exception as e:  # noqa: BLE001
                    self.failures.add(f"crawl {user}", f"{type(e).__name__}: {str(e)[:300]}")
            self.d.delete_all_cookies()
            self.crawl_public()
        finally:
            if self.driver:
                self.driver.quit()
            self.stop_server()
            shutil.rmtree(self.data, ignore_errors=True)
        return self.failures

    @staticmethod
    def step_timeout(signum, frame):
        raise StepTimeout("step took longer than allowed")

    def dump_server_stacks(self, where):
        """A step that timed out: the server's threads, for the CI log (gdb from Debian, when present)."""
        if not shutil.which("gdb") or not self.server:
            return
        out = subprocess.run(["gdb", "-p", str(self.server.pid), "-batch", "-ex", "thread apply all bt 40"],
                             capture_output=True, text=True, timeout=120).stdout
        with open(os.path.join(self.shots, f"server-stacks-{where}.txt"), "w") as f:
            f.write(out)
        print(f"server stacks written for {where}", flush=True)

    def restart_browser(self):
        try:
            self.driver.quit()
        except Exception:  # noqa: BLE001
            pass
        self.start_browser()

    def crawl_public(self):
        for path in ["/public", "/login"]:
            status, _, _, _ = self.fetch(path)
            self.expect("public", status == 200, f"{path} answered {status} logged out")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(root, ".build/debug/yingshang"))
    p.add_argument("--root", default=root)
    p.add_argument("--database-url", default="")
    p.add_argument("--shots", default=os.path.join(root, ".build/browser-shots"))
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    p.add_argument("--pages", type=int, default=120, help="pages crawled per role")
    p.add_argument("--slow-ms", type=float, default=500)
    p.add_argument("--step-seconds", type=int, default=300, help="a journey taking longer fails and the browser restarts")
    args = p.parse_args()
    failures = Tier(args).run()
    print(f"\nbrowser tier: {len(failures)} failure(s); screenshots in {args.shots}")
    for f in failures:
        print("  - " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
