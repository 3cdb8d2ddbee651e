import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitiseSignatureHtml } from './sanitise.js';

test('signature HTML keeps its formatting and loses everything active, however it is spelled', () => {
  const kept = [
    '<table cellpadding="0" style="border-collapse:collapse"><tr><td style="padding:0 8px;font-family:Segoe UI, Arial;color:rgb(0, 120, 212)">Ada</td></tr></table>',
    '<a href="mailto:ada@contoso.com">mail</a> <a href="tel:+44100">tel</a> <a href="https://contoso.com" target="_blank">web</a>',
    '<img src="https://contoso.com/logo.png" alt="Contoso" width="120" /><img src="data:image/png;base64,AAAA" /><img src="cid:logo" />',
  ];
  for (const html of kept) assert.equal(sanitiseSignatureHtml(html), html);

  const attacks: Array<[string, string]> = [
    ['<p onclick="steal()">Hi</p><script>alert(1)</script>', '<p>Hi</p>'],
    ['<svg/onload=alert(1)>x', 'x'],
    ['<img src="https://x/a.png"onerror=alert(1)>', '<img src="https://x/a.png" />'],
    ['<a href="&#106;avascript:alert(1)">j</a>', '<a>j</a>'],
    ['<a href="java&#x09;script:alert(1)">t</a>', '<a>t</a>'],
    ['<a href=" javascript:alert(1)">s</a>', '<a>s</a>'],
    ['<a href="//evil.example/x">p</a>', '<a>p</a>'],
    ['<img src="data:text/html,<script>alert(1)</script>">', '<img />'],
    ['<img srcset="javascript:alert(1)">', '<img />'],
    ['<script src=https://evil/x.js ', ''],
    ['<iframe src=https://evil ', ''],
    ['<style>body{}</style><form><input></form><object></object>ok', 'ok'],
    ['<p style="width:expression(alert(1));background:url(javascript:alert(1));color:red">s</p>', '<p style="color:red">s</p>'],
    ['<scr<script></script>ipt>alert(1)</script>', 'ipt&gt;alert(1)'],
  ];
  for (const [html, expected] of attacks) assert.equal(sanitiseSignatureHtml(html), expected, html);
});
