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
d.quit()
print("screenshots written to", out)
