"""Logs in to a Jupyter server with a password, as the browser's login form does (tests/live/jupyter.rs).

Usage: python login.py URL PASSWORD
Prints `BEFORE <status>` (GET /api/status without a session), `LOGIN <status>` when the form is
refused, and `AFTER <status>` (GET /api/status with the session cookie the login gave, if any).
"""

import http.cookiejar
import sys
import urllib.error
import urllib.parse
import urllib.request

base, password = sys.argv[1].rstrip("/"), sys.argv[2]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def status(path):
    try:
        return opener.open(base + path, timeout=30).status
    except urllib.error.HTTPError as error:
        return error.code


print("BEFORE", status("/api/status"))
opener.open(base + "/login", timeout=30).read()
xsrf = next(cookie.value for cookie in jar if cookie.name == "_xsrf")
form = urllib.parse.urlencode({"password": password, "_xsrf": xsrf}).encode()
try:
    opener.open(urllib.request.Request(base + "/login", data=form), timeout=30).read()
except urllib.error.HTTPError as error:
    print("LOGIN", error.code)
print("AFTER", status("/api/status"))
