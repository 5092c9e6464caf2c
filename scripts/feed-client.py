#!/usr/bin/env python3
"""Sample client for the data feed (业务数据接口): pushes a department's case records to Yingshang in batches.

  python3 scripts/feed-client.py --url https://yingshang.example.gov.cn --key yk_... records.csv [--batch 1000]

records.csv has the columns of the file import (UTF-8 with or without BOM): 办件编号, 统一社会信用代码, 申请日期,
办结日期, and optionally 费用（元）, 环节数, 材料数. Each batch's Idempotency-Key is the SHA-256 of its content, so
running the script again after a timeout or a crash resends the same batches and the server answers each with its
first receipt instead of storing it twice. A refused batch (422) prints the server's reasons per record and stops:
nothing of that batch was stored. Standard library only.
"""
import argparse
import csv
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request

COLUMNS = {
    "caseID": ["办件编号", "办件号", "case_id"],
    "uscc": ["统一社会信用代码", "信用代码", "uscc"],
    "appliedOn": ["申请日期", "受理日期", "applied"],
    "completedOn": ["办结日期", "completed"],
    "fee": ["费用（元）", "费用", "fee"],
    "steps": ["环节数", "环节", "steps"],
    "documents": ["材料数", "材料", "documents"],
}


def yuan_to_fen(text):
    """'12.5' → 1250 without floating point."""
    whole, _, frac = text.replace(",", "").partition(".")
    if not whole.isdigit() or len(frac) > 2 or (frac and not frac.isdigit()):
        raise ValueError(f"费用“{text}”不是金额")
    return int(whole) * 100 + int((frac + "00")[:2])


def read_records(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header = [h.strip() for h in rows[0]]
    index = {}
    for key, names in COLUMNS.items():
        for n in names:
            if n in header:
                index[key] = header.index(n)
                break
    missing = [k for k in ("caseID", "uscc", "appliedOn", "completedOn") if k not in index]
    if missing:
        sys.exit(f"缺少列：{', '.join(COLUMNS[k][0] for k in missing)}")
    records, lines = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = lambda k: row[index[k]].strip() if k in index and index[k] < len(row) else ""
        r = {"caseID": cell("caseID"), "uscc": cell("uscc"), "appliedOn": cell("appliedOn"), "completedOn": cell("completedOn")}
        try:
            if cell("fee"):
                r["feeFen"] = yuan_to_fen(cell("fee"))
            counts = {k: int(cell(k)) for k in ("steps", "documents") if cell(k)}
        except ValueError as e:
            sys.exit(f"第 {line} 行：{e}")
        if counts:
            r["counts"] = counts
        records.append(r)
        lines.append(line)
    return records, lines


def push(url, key, batch, attempts=5):
    body = json.dumps({"records": batch}, ensure_ascii=False, sort_keys=True).encode("utf-8")
    idem = "sha256-" + hashlib.sha256(body).hexdigest()[:64]
    req = urllib.request.Request(url.rstrip("/") + "/api/v1/feeds/records", data=body, method="POST", headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json", "Idempotency-Key": idem})
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                return res.status, json.load(res), res.headers.get("Idempotent-Replayed") == "true"
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return e.code, json.loads(e.read() or b"{}"), False
            reason = f"HTTP {e.code}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            reason = str(e)
        wait = min(60, 2 ** attempt)
        print(f"  第 {attempt} 次发送失败（{reason}），{wait} 秒后重试同一批次", file=sys.stderr)
        time.sleep(wait)
    sys.exit("多次重试仍失败；再次运行本脚本会从头重发，已接收的批次不会重复写入")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("csv")
    p.add_argument("--url", required=True)
    p.add_argument("--key", required=True, help="数据接口密钥 yk_…（审批局在“业务数据接口”页面生成）")
    p.add_argument("--batch", type=int, default=1000, help="每批记录数（最多 5000）")
    a = p.parse_args()
    records, lines = read_records(a.csv)
    total = 0
    for start in range(0, len(records), a.batch):
        batch = records[start:start + a.batch]
        status, reply, replayed = push(a.url, a.key, batch)
        if status not in (200, 201):
            err = reply.get("error", reply)
            print(f"第 {start + 1}–{start + len(batch)} 条被拒收（HTTP {status}）：{err.get('message', '')}", file=sys.stderr)
            for field, why in sorted((err.get("fields") or {}).items()):
                print(f"  {field}（CSV 第 {lines[start + int(field[8:-1])]} 行）：{why}" if field.startswith("records[") else f"  {field}：{why}", file=sys.stderr)
            sys.exit(1)
        total += reply["accepted"]
        print(json.dumps({"batch": start // a.batch + 1, "replayed": replayed, **reply}, ensure_ascii=False))
    print(f"完成：{total} 条记录已接收", file=sys.stderr)


if __name__ == "__main__":
    main()
