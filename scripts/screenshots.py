"""Takes screenshots of the main pages with headless Chromium (pip install selenium; apt install chromium chromium-driver fonts-noto-cjk).
Usage: python3 scripts/screenshots.py http://127.0.0.1:8080 PASSWORD OUTDIR"""
import sys
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.support import expected_conditions as EC

def submit(d, css="button.primary"):
    old = d.find_element(By.TAG_NAME, "html")
    d.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(d, 10).until(EC.staleness_of(old))

base, password, out = sys.argv[1], sys.argv[2], sys.argv[3]
opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,860"]:
    opts.add_argument(a)
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)

def login(user):
    d.delete_all_cookies()
    d.get(base + "/login")
    d.find_element(By.NAME, "username").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(password)
    submit(d)

d.get(base + "/login"); d.save_screenshot(f"{out}/login.png")
login("admin"); d.save_screenshot(f"{out}/home-admin.png")
for page in ["units", "users", "regions", "audit", "units/new"]:
    d.get(f"{base}/{page}"); d.save_screenshot(f"{out}/{page.replace('/', '-')}.png")
d.get(base + "/units/new")
d.find_element(By.NAME, "code").send_keys("SPJ")
submit(d)
d.save_screenshot(f"{out}/units-new-error.png")
login("filer"); d.save_screenshot(f"{out}/home-filer.png")
d.get(base + "/audit"); d.save_screenshot(f"{out}/forbidden.png")
d.set_window_size(390, 844)
login("unithead"); d.get(base + "/users"); d.save_screenshot(f"{out}/phone-users.png")
d.get(base + "/?lang=en"); d.save_screenshot(f"{out}/phone-home-en.png")
d.set_window_size(1280, 860)

# Scoring, report, rectification, verification and the public page (needs `yingshang demo`'s scoring data).
def campaign_ids():
    d.get(base + "/scores")
    links = [(a.text, a.get_attribute("href")) for a in d.find_elements(By.CSS_SELECTOR, "table.list a") if a.get_attribute("href").endswith("/scores")]
    ids = {text: href.split("/campaigns/")[1].split("/")[0] for text, href in links}
    city = next(v for k, v in ids.items() if "8 县" in k)
    county = next(v for k, v in ids.items() if "8 县" not in k)
    return county, city
def accept_confirms():
    d.execute_script("window.confirm = function () { return true; }")
login("coordinator")
county, city = campaign_ids()
for cid in (county, city):
    d.get(f"{base}/campaigns/{cid}/scores"); accept_confirms(); submit(d, "form[action$='scores/run'] button")
d.save_screenshot(f"{out}/scores-city.png")
d.get(f"{base}/campaigns/{city}/report"); d.save_screenshot(f"{out}/report.png")
d.get(f"{base}/campaigns/{county}/scores"); d.find_elements(By.CSS_SELECTOR, "table.scores tbody a")[0].click(); d.save_screenshot(f"{out}/explain.png")
d.get(f"{base}/campaigns/{county}/scores/units"); d.save_screenshot(f"{out}/units-assessment.png")
d.get(f"{base}/rectifications?campaign={county}"); accept_confirms(); submit(d, "form[action$='from-scores'] button")
d.save_screenshot(f"{out}/rectifications.png")
d.get(base + "/library")
for a in [h for h in (a.get_attribute("href") for a in d.find_elements(By.CSS_SELECTOR, "a[href*='/library/policies/']")) if not h.endswith('/new')][:2]:
    d.get(a); accept_confirms(); submit(d, "form[action$='/publish'] button")
login("assessor")
d.get(f"{base}/campaigns/{county}/records?indicator=starting_business")
import urllib.request, tempfile, os
cookies = "; ".join(f"{c['name']}={c['value']}" for c in d.get_cookies())
csv = urllib.request.urlopen(urllib.request.Request(f"{base}/campaigns/{county}/records/demo.csv?indicator=starting_business", headers={"Cookie": cookies})).read()
path = os.path.join(tempfile.mkdtemp(), "records.csv"); open(path, "wb").write(csv)
d.find_element(By.NAME, "file").send_keys(path); accept_confirms(); submit(d, "form[enctype] button.primary")
d.save_screenshot(f"{out}/records.png")
d.get(f"{base}/campaigns/{county}/flags"); submit(d, "form[action*='flags/run'] button"); d.save_screenshot(f"{out}/flags.png")
d.set_window_size(390, 844)
d.delete_all_cookies(); d.get(base + "/public"); d.save_screenshot(f"{out}/phone-public.png")
d.quit()
print("screenshots written to", out)
