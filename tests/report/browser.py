#!/usr/bin/python3
"""Loads an egressd report in headless Chromium (selenium + chromedriver)
and checks it against the events it was made from:

  - one section.vm per VM with verdicts in the events, each with an
    svg.timeline, each VM named in exactly one section;
  - nothing left the page: every request Chromium's network log shows
    (Network.requestWillBeSent) is the file itself or a data: URL, and no
    src or href attribute of the HTML names another address; the
    Content-Security-Policy meta tag is there;
  - no script from the events ran (the page has no <script> at all).

Prints the page's size and load time (navigationStart to loadEventEnd)
and saves a screenshot with --screenshot.

    tests/report/browser.py REPORT.html EVENTS... [--screenshot PNG]
Exit status 0 when every check passes, 1 otherwise, 77 when Chromium or
selenium is missing.
"""
import argparse
import json
import os
import sys
from html.parser import HTMLParser

CSP = ("default-src 'none'; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'; img-src data:")


def vms_of(paths):
    """The VMs with verdicts, native or EVE."""
    vms = set()
    for p in paths:
        with open(p, encoding='utf-8') as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if e.get('event_type') == 'verdict':
                    vms.add(e['vm'])
                elif e.get('event_type') == 'alert':
                    vms.add(e['alert']['metadata']['vm'][0])
    return vms


class Attrs(HTMLParser):
    """Every src/href value, and the CSP meta tag's content."""

    def __init__(self):
        super().__init__()
        self.urls, self.csp, self.scripts = [], None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'script':
            self.scripts += 1
        if tag == 'meta' and (a.get('http-equiv') or '').lower() == \
                'content-security-policy':
            self.csp = a.get('content')
        for k, v in attrs:
            if k in ('src', 'href', 'xlink:href', 'action', 'srcset') and v:
                self.urls.append(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('report')
    ap.add_argument('events', nargs='+')
    ap.add_argument('--screenshot')
    a = ap.parse_args()
    fails = []

    html = open(a.report, encoding='utf-8').read()
    p = Attrs()
    p.feed(html)
    if p.csp != CSP:
        fails.append('CSP meta tag is %r' % p.csp)
    for u in p.urls:
        low = u.strip().lower()
        if ':' in low.split('/')[0] or low.startswith('//'):
            if not low.startswith('data:'):
                fails.append('an attribute names another address: %r' % u)
    if p.scripts:
        fails.append('%d <script> elements in the page' % p.scripts)

    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
    except ImportError:
        print('SKIP: python3-selenium is not installed')
        return 77
    opts = webdriver.ChromeOptions()
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu',
                '--disable-dev-shm-usage', '--window-size=1400,1100'):
        opts.add_argument(arg)
    opts.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
    if os.path.exists('/usr/bin/chromium'):
        opts.binary_location = '/usr/bin/chromium'
    try:
        from selenium.webdriver.chrome.service import Service
        driver = '/usr/bin/chromedriver'
        d = webdriver.Chrome(options=opts, service=Service(driver)) \
            if os.path.exists(driver) else webdriver.Chrome(options=opts)
    except Exception as e:  # no browser: not this test's failure
        print('SKIP: Chromium could not be started: %s' % str(e)[:200])
        return 77
    try:
        url = 'file://' + os.path.abspath(a.report)
        d.get(url)
        t = d.execute_script(
            'var t = performance.timing;'
            'return [t.navigationStart, t.loadEventEnd];')
        load_ms = t[1] - t[0]
        sections = d.find_elements(By.CSS_SELECTOR, 'section.vm')
        want = vms_of(a.events)
        if len(sections) != len(want):
            fails.append('%d section.vm, the events have %d VMs with '
                         'verdicts' % (len(sections), len(want)))
        names = d.execute_script(
            'return Array.from(document.querySelectorAll("section.vm")).map('
            's => [s.querySelector("h2").textContent,'
            ' s.querySelectorAll("svg.timeline").length]);')
        for vm in want:
            n = sum(1 for h, _ in names if h.startswith('VM %s' % vm) and
                    h[len('VM %s' % vm)] in ' :')
            if n != 1:
                fails.append('VM %r is named in %d sections' % (vm, n))
        bare = [h for h, k in names if k != 1]
        if bare:
            fails.append('%d sections without one svg.timeline' % len(bare))
        if d.title != 'egressd report':
            fails.append('the title is %r: a script ran' % d.title)
        n_scripts = d.execute_script(
            'return document.querySelectorAll("script").length;')
        if n_scripts:
            fails.append('%d script elements in the DOM' % n_scripts)
        requests = []
        for entry in d.get_log('performance'):
            msg = json.loads(entry['message'])['message']
            if msg.get('method') == 'Network.requestWillBeSent':
                requests.append(msg['params']['request']['url'])
        for r in requests:
            if r != url and not r.startswith('data:'):
                fails.append('a request left the page: %s' % r)
        if url not in requests:
            fails.append('the network log does not show the page itself')
        if a.screenshot:
            os.makedirs(os.path.dirname(a.screenshot) or '.', exist_ok=True)
            d.save_screenshot(a.screenshot)
    finally:
        d.quit()
    print('%s: %d bytes, %d VM sections, %d requests, load %d ms' % (
        a.report, len(html.encode()), len(sections), len(requests), load_ms))
    for f in fails:
        print('FAIL %s: %s' % (a.report, f))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
