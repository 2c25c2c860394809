"""The supervision console's sign-in over real HTTPS on loopback: accounts made with `case-server
users`, a session cookie that is Secure, HttpOnly and SameSite=Strict, a POST without its CSRF
token refused, ten wrong passwords locking an account, and a disabled account's session ending at
once. Without `serve --console` there is no console at all."""
import http.client
import re
import ssl
import subprocess
import urllib.parse

from harness import CASE_SERVER

PASSWORD = "correct horse battery staple"


def users(site, *args, password=None):
    return subprocess.run([CASE_SERVER, "users", *args, "--db", str(site.root / "cases.db")],
                          input=None if password is None else password + "\n", capture_output=True, text=True)


class Browser:
    """Just enough of a browser: one TLS connection per request, cookies kept by name, no redirects followed."""

    def __init__(self, site):
        self.site = site
        self.ctx = ssl.create_default_context(cafile=str(site.root / "pki" / "ca.pem"))
        self.cookies = {}
        self.set_cookie_lines = []

    def request(self, method, path, form=None, headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.site.server_port, context=self.ctx, timeout=30)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        text = r.read().decode()
        for line in r.headers.get_all("Set-Cookie") or []:
            self.set_cookie_lines.append(line)
            name, _, rest = line.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in line:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        conn.close()
        return r.status, r.headers, text

    def sign_in(self, name, password=PASSWORD):
        status, _, page = self.request("GET", "/console/login")
        assert status == 200, page
        return self.request("POST", "/console/login",
                            form={"_csrf": csrf(page), "name": name, "password": password})


def csrf(page):
    m = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert m, page[:500]
    return m.group(1)


def test_console_sign_in_csrf_lock_and_disable(site):
    # Off unless configured: every console path is 404.
    site.start_server()
    status, _, _ = Browser(site).request("GET", "/console/login")
    assert status == 404
    site.stop_server()

    short = users(site, "add", "admin", "--role", "admin", password="short")
    assert short.returncode == 1 and "too short" in short.stderr and "12" in short.stderr, short.stderr
    # What the command refuses before it asks for a password, with words saying what to give.
    for args, says in ((["add", "x", "--role", "boss"], "not a role: use handler, insurer or admin"),
                       (["add", "x", "--role", "insurer"], "needs --insurer"),
                       (["add", "x", "--role", "handler", "--language", "fr"], "en\" or \"zh-Hans"),
                       (["add", "x", "--role", "handler", "--time-zone", "Mars/Base"], "not a time zone"),
                       (["add", "x y", "--role", "admin"], "not an account name"),
                       (["add", "x", "--role", "admin", "--password", PASSWORD], "--password")):
        r = users(site, *args, password=PASSWORD)
        assert r.returncode != 0 and says in r.stderr, (args, r.stderr)
    for args in (["add", "admin", "--role", "admin"], ["add", "li", "--role", "handler", "--site", "*"],
                 ["add", "wang", "--role", "handler", "--site", "depot-a", "--language", "zh-Hans",
                  "--time-zone", "Asia/Shanghai"]):
        r = users(site, *args, password=PASSWORD)
        assert r.returncode == 0, r.stderr
    listed = users(site, "list").stdout
    assert "admin" in listed and "li" in listed and "Asia/Shanghai" in listed, listed
    site.start_server(["--console"])

    # Signing in: a session cookie with every attribute, and the admin's pages.
    admin = Browser(site)
    status, headers, _ = admin.sign_in("admin")
    assert status == 303 and headers["Location"] == "/console/cases", status
    assert "console_session" in admin.cookies
    for line in admin.set_cookie_lines:
        for attribute in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/console"):
            assert attribute in line, line
    status, _, accounts = admin.request("GET", "/console/accounts")
    assert status == 200 and "wang" in accounts, accounts[:500]
    token = csrf(accounts)

    # A POST without the session's CSRF token is refused; with it, it goes through.
    status, _, _ = admin.request("POST", "/console/accounts/wang/disable", form={})
    assert status == 403
    status, _, _ = admin.request("POST", "/console/accounts/wang/disable", form={"_csrf": "forged"})
    assert status == 403
    assert "disabled" not in users(site, "list").stdout
    status, _, _ = admin.request("POST", "/console/accounts/wang/disable", form={"_csrf": token})
    assert status == 303
    assert "disabled" in users(site, "list").stdout

    # A handler may not reach the admin's pages.
    li = Browser(site)
    status, _, _ = li.sign_in("li")
    assert status == 303
    status, _, _ = li.request("GET", "/console/accounts")
    assert status == 403

    # A disabled account's session ends at once: the next request is sent to the sign-in page.
    r = users(site, "disable", "li")
    assert r.returncode == 0, r.stderr
    status, headers, _ = li.request("GET", "/console/accounts")
    assert status == 303 and headers["Location"].startswith("/console/login"), (status, headers)
    status, _, _ = li.sign_in("li")
    assert status == 401

    # Ten wrong passwords lock the account: the right one is refused after, with words saying so.
    r = users(site, "add", "chen", "--role", "handler", "--site", "*", password=PASSWORD)
    assert r.returncode == 0, r.stderr
    chen = Browser(site)
    for _ in range(10):
        status, _, page = chen.sign_in("chen", "not the password")
        assert status == 401
    status, _, page = chen.sign_in("chen")
    assert status == 401 and "console_session" not in chen.cookies
    assert "locked for 15 minutes" in page, page
    assert "locked until" in users(site, "list").stdout
    # The same words for a name that does not exist.
    _, _, unknown = Browser(site).sign_in("nobody", "not the password")
    assert "locked for 15 minutes" in unknown

    # The audit log has it all, by whom; no password, cookie or token is in it or in the log.
    status, _, audit = admin.request("GET", "/console/audit")
    assert status == 200
    for what in ("Account added", "Account disabled", "Account locked", "Failed sign-in", "Signed in"):
        assert what in audit, what
    log = site.log("server")
    entries = audit[audit.index("<tbody>"):]
    for secret in (PASSWORD, admin.cookies["console_session"], token):
        assert secret not in log and secret not in entries
    db = (site.root / "cases.db").read_bytes()
    assert PASSWORD.encode() not in db and admin.cookies["console_session"].encode() not in db

    # Signing out ends the session.
    status, _, _ = admin.request("POST", "/console/logout", form={"_csrf": token})
    assert status == 303 and "console_session" not in admin.cookies
