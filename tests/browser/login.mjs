// Signs in to a Plenum portal in a real Chromium through the real OpenID provider, reads the
// member page, signs out, and reads it again. Driven by tests/e2e/portal_signin.rs, which
// checks what this prints (one JSON object on stdout).
//   node login.mjs <tenant base URL> <username> <password> <meeting id>
import { chromium } from 'playwright-core';

const [base, username, password, meeting] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.PLENUM_TEST_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const out = {};
try {
  const page = await (await browser.newContext()).newPage();
  // The member page sends an anonymous visitor to the provider's login form.
  await page.goto(`${base}ratsinfo`);
  out.loginFormAt = page.url();
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${base}ratsinfo`), page.click('button[type=submit]')]);
  out.afterLogin = page.url();
  // The meeting page shows a member the non-public part of their committee's meeting.
  await page.goto(`${base}sitzungen/${meeting}`);
  out.memberPage = await page.textContent('main');
  out.cookies = (await page.context().cookies()).map((c) => ({
    name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path,
  }));
  // Sign out with the page's own form (it carries the anti-forgery token).
  await Promise.all([page.waitForURL(base), page.click('text=Abmelden')]);
  out.afterLogout = page.url();
  out.startPage = await page.textContent('body');
  await page.goto(`${base}ratsinfo`);
  out.afterLogoutRatsinfo = page.url();
} catch (e) {
  out.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
