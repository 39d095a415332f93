"""final/'s web view (issue 22), in a real browser: Debian's headless Chromium driven by Selenium,
against the real cluster (six data servers, two api servers, RabbitMQ, Elasticsearch).

Each test saves screenshots of the pages it looks at under ``test-output/web/`` (``UI_SCREENSHOTS``).
Tests that need no browser (headers, ACLs, paging) speak HTTP to the same pages.
"""
import base64
import hashlib
import http.server
import os
import re
import signal
import threading
import time
import uuid
from pathlib import Path

import pika
import pytest
import requests
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from final.web.events import EventLog, parse_event
from final.web.live import MAX_STREAMS
from tests.final import s3
from tests.final.web import chromium, csp_violations, downloaded, screenshot, session, sign_in, wait
from tests.support import FAST, RABBITMQ, wait_until

VENDOR = Path(__file__).resolve().parents[2] / "final" / "web" / "static" / "vendor"


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(cluster, front, downloads):
    """Chromium, signed in as alice."""
    driver = chromium(downloads)
    try:
        sign_in(driver, front)
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def bucket(alice):
    return s3.new_bucket(alice, "web")


def key_of(data: bytes) -> str:
    """The content key the data servers file the object under."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


def open_page(driver, front: str, path: str, **query) -> None:
    driver.get(requests.Request("GET", f"http://{front}{path}", params=query).prepare().url)


def rows(driver) -> list[dict]:
    return [{name: row.get_attribute(f"data-{name}") for name in ("shard", "server", "state")}
            for row in driver.find_elements(By.CSS_SELECTOR, ".pieces tr[data-state]")]


def card(driver, address: str):
    found = driver.find_elements(By.CSS_SELECTOR, f'article.card[data-address="{address}"]')
    return found[0] if found else None


def card_state(driver, address: str) -> str | None:
    """``live`` or ``stale``; None when there is no card (read at once: htmx swaps the cards every second)."""
    return driver.execute_script("const c = document.querySelector(`article.card[data-address='${arguments[0]}']`);"
                                 "return c ? c.dataset.state : null;", address)


def shard_file(cluster, data: bytes, index: int) -> Path:
    """The file of shard ``index`` of ``data``, on whichever data server keeps it."""
    for server in cluster.data_servers:
        found = list((Path(server.root) / "objects").glob(f"{key_of(data)}.{index}.*"))
        if found:
            return found[0]
    raise AssertionError(f"no shard {index} of {key_of(data)} on any data server")


class TestSignIn:
    def test_pages_need_signing_in_with_a_users_keys_and_the_cookie_is_httponly_and_samesite(self, front):
        http = requests.Session()
        assert http.get(f"http://{front}/ui/buckets", allow_redirects=False).headers["Location"].startswith("/ui/signin")
        page = http.get(f"http://{front}/ui/signin")
        cookie = page.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/ui/" in cookie
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        wrong = http.post(f"http://{front}/ui/signin", data={"csrf_token": token, "access_key": "alice-key",
                                                              "secret_key": "bob-secret"})
        assert wrong.status_code == 401 and "wrong secret key" in wrong.text
        assert http.get(f"http://{front}/ui/buckets", allow_redirects=False).status_code == 302
        http, token = session(front, "alice")
        assert http.get(f"http://{front}/ui/buckets").status_code == 200
        http.post(f"http://{front}/ui/signout", data={"csrf_token": token})
        assert http.get(f"http://{front}/ui/buckets", allow_redirects=False).status_code == 302

    def test_after_sign_in_the_browser_goes_where_it_was_sent_but_never_off_site(self, front):
        http = requests.Session()
        page = http.get(f"http://{front}/ui/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        for target, lands in (("/ui/cluster", "/ui/cluster"), ("//evil.example/x", "/ui/buckets"),
                              ("http://evil.example/ui/", "/ui/buckets")):
            answer = http.post(f"http://{front}/ui/signin", allow_redirects=False, data={
                "csrf_token": token, "access_key": "alice-key", "secret_key": "alice-secret", "next": target})
            assert answer.headers["Location"] == lands, target
            token = re.search(r'name="csrf-token" content="([^"]+)"', http.get(f"http://{front}/ui/buckets").text).group(1)

    def test_every_page_has_a_strict_policy_and_no_inline_script(self, front, bucket, alice):
        alice.put_object(Bucket=bucket, Key="policy.txt", Body=b"x")
        http, _ = session(front, "alice")
        for path in ("/ui/signin", "/ui/buckets", "/ui/cluster", "/ui/events", f"/ui/bucket?name={bucket}",
                     f"/ui/object?bucket={bucket}&key=policy.txt"):
            page = http.get(f"http://{front}{path}")
            assert page.status_code == 200, path
            policy = page.headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe" not in policy, path
            assert "frame-ancestors 'none'" in policy and page.headers["X-Content-Type-Options"] == "nosniff"
            assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), path       # no inline script
            assert not re.search(r"\son[a-z]+\s*=", page.text), path               # no inline handler


class TestBrowser:
    def test_a_bucket_created_and_a_file_uploaded_in_the_browser_is_in_s3(self, browser, front, alice, tmp_path):
        name = s3.bucket_name("webup")
        open_page(browser, front, "/ui/buckets")
        screenshot(browser, "buckets")
        browser.find_element(By.CSS_SELECTOR, '#new-bucket input[name="name"]').send_keys(name)
        browser.find_element(By.CSS_SELECTOR, "#new-bucket button").click()
        wait(browser, lambda d: d.find_elements(By.ID, "upload"), "the new bucket's page")
        data = os.urandom(100_000)
        (tmp_path / "photo.jpg").write_bytes(data)
        browser.find_element(By.CSS_SELECTOR, '#upload input[type="file"]').send_keys(str(tmp_path / "photo.jpg"))
        browser.find_element(By.CSS_SELECTOR, "#upload button").click()
        form = browser.find_element(By.ID, "upload")
        wait(browser, lambda d: form.get_attribute("data-done") or form.get_attribute("data-failed"), "the upload")
        assert form.get_attribute("data-done") == "photo.jpg", form.get_attribute("data-failed")
        assert alice.get_object(Bucket=name, Key="photo.jpg")["Body"].read() == data
        browser.refresh()
        assert "photo.jpg" in browser.find_element(By.ID, "keys").text
        screenshot(browser, "bucket")
        assert csp_violations(browser) == []

    def test_a_big_file_goes_up_in_parts_with_a_progress_bar(self, browser, front, bucket, alice, tmp_path):
        data = os.urandom((8 << 20) + 12345)                 # past the page's part size: two parts
        (tmp_path / "big.bin").write_bytes(data)
        open_page(browser, front, "/ui/bucket", name=bucket)
        browser.find_element(By.CSS_SELECTOR, '#upload input[name="key"]').send_keys("uploads/")
        browser.find_element(By.CSS_SELECTOR, '#upload input[type="file"]').send_keys(str(tmp_path / "big.bin"))
        browser.find_element(By.CSS_SELECTOR, "#upload button").click()
        form = browser.find_element(By.ID, "upload")
        wait(browser, lambda d: form.get_attribute("data-done") or form.get_attribute("data-failed"), "the upload", 180)
        assert form.get_attribute("data-done") == "uploads/big.bin", form.get_attribute("data-failed")
        assert browser.find_element(By.CSS_SELECTOR, "#upload progress").get_attribute("value") == "1"
        head = alice.head_object(Bucket=bucket, Key="uploads/big.bin")
        assert head["ETag"].endswith('-2"') and head["ContentLength"] == len(data)
        assert hashlib.sha256(alice.get_object(Bucket=bucket, Key="uploads/big.bin")["Body"].read()).digest() \
            == hashlib.sha256(data).digest()
        screenshot(browser, "upload-multipart")

    def test_the_shard_map_shows_six_shards_on_six_servers_and_a_small_object_three_replicas(
            self, browser, front, cluster, bucket, alice):
        data = os.urandom(3 << 20)
        alice.put_object(Bucket=bucket, Key="maps/big.bin", Body=data, ContentType="application/x-test")
        open_page(browser, front, "/ui/object", bucket=bucket, key="maps/big.bin")
        assert browser.find_element(By.ID, "sha256").text == hashlib.sha256(data).hexdigest()
        assert browser.find_element(By.ID, "etag").text == hashlib.md5(data).hexdigest()
        assert browser.find_element(By.ID, "content-type").text == "application/x-test"
        shards = rows(browser)
        addresses = {p.address for p in cluster.data_servers}
        assert sorted(r["shard"] for r in shards) == ["0", "1", "2", "3", "4", "5"]
        assert {r["server"] for r in shards} == addresses and {r["state"] for r in shards} == {"present"}
        assert len(browser.find_elements(By.CSS_SELECTOR, ".shardmap svg g.server")) == 6
        screenshot(browser, "shard-map")
        small = os.urandom(2000)
        alice.put_object(Bucket=bucket, Key="maps/small.bin", Body=small)
        open_page(browser, front, "/ui/object", bucket=bucket, key="maps/small.bin")
        replicas = rows(browser)
        assert len(replicas) == 3 and {r["state"] for r in replicas} == {"present"}
        assert {r["server"] for r in replicas} <= addresses and len({r["server"] for r in replicas}) == 3
        assert "container" in browser.find_element(By.CSS_SELECTOR, ".pieces").text
        screenshot(browser, "replica-map")

    def test_a_corrupt_shard_shows_corrupt_in_the_shard_map(self, front, cluster, bucket, alice):
        data = os.urandom(2 << 20)
        alice.put_object(Bucket=bucket, Key="maps/damaged.bin", Body=data)
        damaged = shard_file(cluster, data, 2)
        raw = bytearray(damaged.read_bytes())
        raw[100] ^= 0xFF
        damaged.write_bytes(bytes(raw))
        http, _ = session(front)
        page = http.get(f"http://{front}/ui/object", params={"bucket": bucket, "key": "maps/damaged.bin"}).text
        states = dict(re.findall(r'data-shard="(\d)" data-server="[^"]*" data-state="(\w+)"', page))
        assert states == {"0": "present", "1": "present", "2": "corrupt", "3": "present", "4": "present",
                          "5": "present"}

    def test_a_stopped_data_server_turns_stale_then_goes_and_the_object_still_downloads(
            self, browser, front, cluster, bucket, alice, downloads):
        data = os.urandom(3 << 20)
        alice.put_object(Bucket=bucket, Key="survivor.bin", Body=data)
        server = cluster.data_servers[4]
        open_page(browser, front, "/ui/cluster")
        wait(browser, lambda d: card_state(d, server.address) is not None, "its card")
        assert card_state(browser, server.address) == "live"
        screenshot(browser, "cluster")
        try:
            os.killpg(server.pid, signal.SIGKILL)
            wait(browser, lambda d: card_state(d, server.address) in (None, "stale"), "its card to turn stale")
            assert card_state(browser, server.address) is not None, "the card went without turning stale first"
            screenshot(browser, "cluster-stale")
            wait(browser, lambda d: card_state(d, server.address) is None, "its card to go")
            assert len(browser.find_elements(By.CSS_SELECTOR, 'article.card[data-role="data"]')) == 5
            open_page(browser, front, "/ui/object", bucket=bucket, key="survivor.bin")
            lost = [r for r in rows(browser) if r["state"] == "missing"]
            assert len(lost) == 1 and lost[0]["server"] == ""
            screenshot(browser, "shard-map-server-down")
            browser.find_element(By.ID, "download").click()
            assert downloaded(downloads, "survivor.bin") == data
        finally:
            cluster.up()
        open_page(browser, front, "/ui/cluster")
        wait(browser, lambda d: card_state(d, server.address) == "live", "the restarted server's card")
        http, _ = session(front)
        feed = re.findall(r'<li class="event" data-kind="(\w+)">(.*?)</li>', http.get(f"http://{front}/ui/events").text,
                          re.S)
        told = {kind for kind, text in feed if f"data server {server.address}" in text}
        assert {"ServerLeft", "ServerJoined"} <= told

    def test_a_shard_repaired_on_read_shows_in_the_live_feed_and_on_its_servers_card(
            self, browser, front, cluster, bucket, alice):
        data = os.urandom(2 << 20)
        alice.put_object(Bucket=bucket, Key="repaired.bin", Body=data)
        lost = shard_file(cluster, data, 1)
        holder = next(p.address for p in cluster.data_servers if Path(p.root) in lost.parents)
        open_page(browser, front, "/ui/events")
        lost.unlink()
        assert alice.get_object(Bucket=bucket, Key="repaired.bin")["Body"].read() == data
        told = f"shard 1 of an object rebuilt by a GET on {holder}"
        wait(browser, lambda d: told in " ".join(
            e.text for e in d.find_elements(By.CSS_SELECTOR, '#feed li[data-kind="ShardRepaired"]')),
            "the repair in the feed (no reload)")
        assert key_of(data) not in browser.page_source      # whose content it is stays unsaid
        screenshot(browser, "events-repair")
        wait_until(lambda: any((Path(p.root) / "objects").glob(f"{key_of(data)}.1.*") for p in cluster.data_servers),
                   20, what="the shard to be rewritten")
        open_page(browser, front, "/ui/cluster")
        wait(browser, lambda d: "shard 1 of an object" in card(d, holder).text, "the repair on the server's card")

    def test_uploads_and_deletes_through_either_api_server_appear_live_in_the_feed(self, browser, front, cluster,
                                                                                     bucket):
        other = s3.client(cluster.api_servers[1].address, "alice")
        key = f"feed-{uuid.uuid4().hex[:8]}.txt"
        open_page(browser, front, "/ui/events")
        other.put_object(Bucket=bucket, Key=key, Body=b"fed")
        other.delete_object(Bucket=bucket, Key=key)

        def shown(kind):
            return lambda d: any(key in e.text for e in d.find_elements(By.CSS_SELECTOR, f'#feed li[data-kind="{kind}"]'))
        wait(browser, shown("ObjectCreated:Put"), "the upload in the feed")
        wait(browser, shown("ObjectRemoved:Delete"), "the delete in the feed")
        screenshot(browser, "events")

    def test_keys_with_markup_quotes_and_unicode_are_shown_as_text(self, browser, front, alice):
        name = s3.new_bucket(alice, "webxss")
        keys = ['<script>alert("key")</script>', "it's \"quoted\" & <b>bold</b>", "<img src=x onerror=alert(2)>",
                "雪/ünïcödé ✓.txt"]
        open_page(browser, front, "/ui/events")              # the feed hears the broker while it is watched
        for key in keys:
            alice.put_object(Bucket=name, Key=key, Body=b"x")
        open_page(browser, front, "/ui/bucket", name=name)
        listed = browser.find_element(By.ID, "keys")
        folders = {'<script>alert("key")</', "it's \"quoted\" & <b>bold</", "雪/"}      # up to the first "/"
        assert {a.text for a in listed.find_elements(By.TAG_NAME, "a")} == folders | {keys[2]}
        assert not any(listed.find_elements(By.TAG_NAME, tag) for tag in ("b", "script", "img"))
        screenshot(browser, "keys-as-text")
        for key in keys:
            open_page(browser, front, "/ui/object", bucket=name, key=key)
            assert browser.find_element(By.ID, "key").text == key
        open_page(browser, front, "/ui/events")
        assert keys[0] in browser.find_element(By.ID, "feed").text
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text
        assert csp_violations(browser) == []

    def test_a_stored_page_opened_in_the_browser_cannot_read_the_web_view(self, browser, front, bucket, alice):
        page = (b"<html><head><title>waiting</title></head><body><script>"
                b"fetch('/ui/buckets', {credentials: 'include'}).then(r => r.text())"
                b".then(t => { document.title = t.includes('csrf-token') ? 'read the web view' : 'got no page'; })"
                b".catch(() => { document.title = 'refused'; });</script></body></html>")
        alice.put_object(Bucket=bucket, Key="evil.html", Body=page, ContentType="text/html", ACL="public-read")
        open_page(browser, front, f"/{bucket}/evil.html")
        wait(browser, lambda d: d.title != "waiting", "the stored page's script to run")
        assert browser.title in ("refused", "got no page")

    def test_a_forged_form_without_the_csrf_token_is_refused(self, browser, front, bucket, alice):
        alice.put_object(Bucket=bucket, Key="keep.txt", Body=b"keep")
        form = (f'<form method="post" action="http://{front}/ui/object/delete"><input name="bucket" value="{bucket}">'
                '<input name="key" value="keep.txt"><button id="go">win a prize</button></form>').encode()
        with elsewhere(form) as evil:
            browser.get(evil)
            browser.find_element(By.ID, "go").click()
            wait(browser, lambda d: d.find_elements(By.ID, "error"), "the answer")
        assert browser.find_element(By.ID, "error").get_attribute("data-code") == "CSRFRefused"
        screenshot(browser, "csrf-refused")
        http, token = session(front)
        for sent in ({}, {"csrf_token": "forged"}, {"csrf_token": token[:-2] + "xx"}):
            answer = http.post(f"http://{front}/ui/object/delete", data={"bucket": bucket, "key": "keep.txt", **sent})
            assert answer.status_code == 400, sent
        assert alice.get_object(Bucket=bucket, Key="keep.txt")["Body"].read() == b"keep"
        assert http.post(f"http://{front}/ui/object/delete", data={"bucket": bucket, "key": "keep.txt",
                                                                    "csrf_token": token}).status_code == 200
        with pytest.raises(alice.exceptions.NoSuchKey):
            alice.get_object(Bucket=bucket, Key="keep.txt")


class TestAccess:
    def test_a_user_sees_and_changes_only_what_the_acls_allow(self, front, alice):
        name = s3.new_bucket(alice, "webacl")
        alice.put_object(Bucket=name, Key="private.txt", Body=b"alice's")
        http, token = session(front, "bob")
        assert name not in http.get(f"http://{front}/ui/buckets").text
        base = f"http://{front}/ui"
        for path, query in (("/bucket", {"name": name}), ("/object", {"bucket": name, "key": "private.txt"}),
                            ("/download", {"bucket": name, "key": "private.txt"})):
            answer = http.get(base + path, params=query)
            assert answer.status_code == 403 and "AccessDenied" in answer.text, path
        answer = http.post(f"{base}/object/delete", data={"bucket": name, "key": "private.txt", "csrf_token": token})
        assert answer.status_code == 403
        answer = http.put(f"{base}/api/object", params={"bucket": name, "key": "bob.txt"}, data=b"bob's",
                          headers={"X-CSRFToken": token})
        assert answer.status_code == 403 and answer.json()["error"] == "AccessDenied"
        assert alice.get_object(Bucket=name, Key="private.txt")["Body"].read() == b"alice's"
        alice.put_object_acl(Bucket=name, Key="private.txt", ACL="public-read")
        assert http.get(f"{base}/object", params={"bucket": name, "key": "private.txt"}).status_code == 200
        assert http.get(f"{base}/download", params={"bucket": name, "key": "private.txt"}).content == b"alice's"
        assert http.get(f"{base}/bucket", params={"name": name}).status_code == 403
        assert name not in http.get(f"{base}/events").text             # alice's uploads are hers to see
        assert name in session(front, "alice")[0].get(f"{base}/events").text

    def test_an_objects_page_shows_no_version_from_before_its_bucket(self, front, alice, bob):
        name = s3.new_bucket(alice, "webold")
        alice.put_object(Bucket=name, Key="plan.txt", Body=b"alice's plan")
        alice.delete_object(Bucket=name, Key="plan.txt")
        alice.delete_bucket(Bucket=name)
        bob.create_bucket(Bucket=name)
        bob.put_object(Bucket=name, Key="plan.txt", Body=b"bob's")
        http, _ = session(front, "bob")
        page = http.get(f"http://{front}/ui/object", params={"bucket": name, "key": "plan.txt"}).text
        table = page[page.index('id="versions"'):]
        assert len(re.findall(r"<tr><td>", table)) == 1                  # bob's version only
        assert base64.b64encode(hashlib.sha256(b"bob's").digest()).decode() in table
        assert base64.b64encode(hashlib.sha256(b"alice's plan").digest()).decode() not in page

    def test_signing_in_needs_the_forms_csrf_token(self, front):
        http = requests.Session()
        http.get(f"http://{front}/ui/signin")
        answer = http.post(f"http://{front}/ui/signin", data={"access_key": "alice-key", "secret_key": "alice-secret"})
        assert answer.status_code == 400 and 'data-code="CSRFRefused"' in answer.text

    def test_a_download_is_an_attachment_that_never_runs_as_this_site(self, front, bucket, alice):
        alice.put_object(Bucket=bucket, Key="page.html", Body=b"<script>alert(1)</script>", ContentType="text/html")
        http, _ = session(front)
        answer = http.get(f"http://{front}/ui/download", params={"bucket": bucket, "key": "page.html"})
        assert answer.headers["Content-Disposition"].startswith("attachment;")
        assert answer.headers["Content-Security-Policy"].startswith("sandbox")

    def test_a_bucket_lists_folders_and_pages_of_keys(self, front, alice):
        name = s3.new_bucket(alice, "webpage")
        for i in range(60):
            alice.put_object(Bucket=name, Key=f"dir/k{i:03d}", Body=b"")
        alice.put_object(Bucket=name, Key="top.txt", Body=b"")
        http, _ = session(front)
        root = http.get(f"http://{front}/ui/bucket", params={"name": name}).text
        assert re.findall(r'class="(folder|key)"><a[^>]*>([^<]*)<', root) == [("folder", "dir/"), ("key", "top.txt")]
        first = http.get(f"http://{front}/ui/bucket", params={"name": name, "prefix": "dir/"}).text
        shown = re.findall(r'class="key"><a[^>]*>(k\d+)<', first)
        assert shown == [f"k{i:03d}" for i in range(50)]
        following = re.search(r'id="next-page" href="([^"]+)"', first).group(1).replace("&amp;", "&")
        second = http.get(f"http://{front}{following}").text
        assert re.findall(r'class="key"><a[^>]*>(k\d+)<', second) == [f"k{i:03d}" for i in range(50, 60)]
        assert 'id="next-page"' not in second


BAD_INPUT = [
    ("GET", "/ui/bucket", {"name": "no-such-bucket-here"}, None),
    ("GET", "/ui/bucket", {"name": "UPPER_case!"}, None),
    ("GET", "/ui/bucket", {}, None),
    ("GET", "/ui/object", {"bucket": "{bucket}"}, None),
    ("GET", "/ui/object", {"bucket": "{bucket}", "key": "x" * 2000}, None),
    ("GET", "/ui/object", {"bucket": "{bucket}", "key": "nul\x00key"}, None),
    ("GET", "/ui/download", {"bucket": "{bucket}", "key": "missing"}, None),
    ("POST", "/ui/buckets", {}, {"name": ""}),
    ("POST", "/ui/buckets", {}, {"name": "a" * 300}),
    ("POST", "/ui/buckets/delete", {}, {"name": "no-such-bucket-here"}),
    ("POST", "/ui/object/delete", {}, {"bucket": "", "key": ""}),
    ("PUT", "/ui/api/object", {"bucket": "{bucket}"}, b"no key"),
    ("PUT", "/ui/api/uploads/part", {"bucket": "{bucket}", "key": "k", "upload_id": "nope", "part": "²"}, b"x"),
    ("POST", "/ui/api/uploads/complete", {"bucket": "{bucket}", "key": "k", "upload_id": "nope"}, b"[1, 2]"),
    ("POST", "/ui/api/uploads/complete", {"bucket": "{bucket}", "key": "k", "upload_id": "nope"}, b'{"parts": [{}]}'),
    ("POST", "/ui/api/uploads/abort", {"bucket": "{bucket}", "key": "k", "upload_id": "nope"}, None),
]


@pytest.mark.parametrize("method, path, query, body", BAD_INPUT)
def test_bad_input_to_the_web_view_is_a_clear_4xx(front, bucket, method, path, query, body):
    http, token = session(front)
    query = {name: value.replace("{bucket}", bucket) for name, value in query.items()}
    sent = {"data": body} if isinstance(body, (bytes, dict)) else {}
    if isinstance(body, dict):
        sent["data"] = {**body, "csrf_token": token}
    answer = http.request(method, f"http://{front}{path}", params=query, headers={"X-CSRFToken": token},
                          timeout=40, **sent)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])


def test_an_action_without_a_key_never_acts_on_the_bucket(front, alice):
    name = s3.new_bucket(alice, "webnokey")
    http, token = session(front)
    for method, path in (("POST", "/ui/object/delete"), ("PUT", "/ui/api/object"), ("GET", "/ui/download")):
        answer = http.request(method, f"http://{front}{path}", params={"bucket": name, "key": ""},
                              data={"bucket": name, "key": "", "csrf_token": token}, headers={"X-CSRFToken": token})
        assert answer.status_code == 400 and "ListBucketResult" not in answer.text, (path, answer.text[:200])
    alice.head_bucket(Bucket=name)                       # still there: DELETE /<bucket> was never called


class TestFeed:
    def test_an_api_server_beats_to_its_peers_once_an_interval(self, cluster):
        """pika's pump returns when a message comes: a beat sent on hearing its own beat sent
        thousands a second (and burned a core)."""
        connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
        try:
            channel = connection.channel()
            queue = channel.queue_declare("", exclusive=True).method.queue
            channel.queue_bind(queue, "apiPeers")
            time.sleep(2)
            heard = channel.queue_declare(queue, passive=True).method.message_count
        finally:
            connection.close()
        expected = 2 / float(FAST["HEARTBEAT_INTERVAL"]) * len(cluster.api_servers)
        assert expected / 2 <= heard <= expected * 1.5, heard

    def test_event_streams_are_capped_and_a_closed_one_gives_its_place_back(self, front):
        http, _ = session(front)
        url = f"http://{front}/ui/events/stream"
        opened = []
        try:
            while len(opened) <= MAX_STREAMS and (not opened or opened[-1].status_code == 200):
                opened.append(http.get(url, stream=True, timeout=10))
            assert opened[-1].status_code == 503 and opened[-1].headers["Retry-After"] == "5"
        finally:
            for answer in opened:
                answer.close()

        def a_stream_opens():
            with http.get(url, stream=True, timeout=10) as answer:
                return answer.status_code == 200
        wait_until(a_stream_opens, 30, interval=1, what="a closed stream's place to come back")


class TestParts:
    def test_the_shipped_htmx_files_are_the_ones_the_readme_names(self):
        table = (VENDOR / "README.md").read_text()
        for file in ("htmx.min.js", "sse.min.js"):
            digest = hashlib.sha256((VENDOR / file).read_bytes()).hexdigest()
            assert f"`{file}`" in table and digest in table.split(f"`{file}`")[1].split("\n")[0], file

    def test_the_feed_keeps_the_newest_and_readers_wait_for_what_comes(self):
        feed = EventLog(size=3)
        for n in range(5):
            feed.add({"kind": "ObjectCreated:Put", "key": str(n)})
        assert [e["key"] for _, e in feed.after(0)] == ["2", "3", "4"] and feed.last == 5
        threading.Timer(0.2, feed.add, [{"kind": "ServerLeft", "server": "x"}]).start()
        assert [e["kind"] for _, e in feed.after(5, timeout=5)] == ["ServerLeft"]
        assert feed.after(6, timeout=0.1) == []

    @pytest.mark.parametrize("message", [[], {"kind": "Nope"}, {"kind": "ServerLeft", "server": 5},
                                         {"kind": "ServerLeft", "extra": "x"}, {"kind": "ShardRepaired", "shard": True}])
    def test_a_malformed_event_message_is_refused(self, message):
        with pytest.raises(ValueError):
            parse_event(message)


class elsewhere:
    """A page served from another origin (a port of 127.0.0.1 of its own), as an attacker's site."""

    def __init__(self, body: bytes):
        page = body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass
        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}/"

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
