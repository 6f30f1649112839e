// The portal in a real browser (Debian's Chromium through playwright-core): a visitor's walk
// calendar → meeting → paper → file by clicking, sign-in through the real OpenID provider and
// the member-only agenda part, sign-out, axe-core (WCAG 2.1 A/AA) on the main pages, the skip
// link by keyboard, and screenshots at desktop and phone width. Driven by
// tests/e2e/portal_browser.rs, which checks what this prints (one JSON object on stdout).
//   node portal.mjs <config.json>
// config: { base, username, password, month, meeting, paper, committee, person, search,
//           memberOnly, screenshots }
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { base } = config;
const axeSource = readFileSync(join(here, 'node_modules/axe-core/axe.min.js'), 'utf8');
const pages = {
  start: '',
  calendar: `sitzungen?monat=${config.month}`,
  meeting: `sitzungen/${config.meeting}`,
  paper: `vorlagen/${config.paper}`,
  committee: `gremien/${config.committee}`,
  person: `personen/${config.person}`,
  search: `suche?q=${encodeURIComponent(config.search)}`,
};
const browser = await chromium.launch({
  executablePath: process.env.PLENUM_TEST_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const out = { screenshots: [], overflow: {}, axe: [] };
const mainText = async (page) => (await page.textContent('main')) || '';

try {
  // The walk, by clicking like a visitor.
  {
    const context = await browser.newContext({ acceptDownloads: true });
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    const nav = {};
    await page.goto(base + pages.calendar);
    await Promise.all([page.waitForURL(`**/sitzungen/${config.meeting}`),
      page.click(`main a[href$="/sitzungen/${config.meeting}"] >> nth=0`)]);
    nav.meetingUrl = page.url();
    nav.meetingTitle = (await page.textContent('h1')).trim();
    await Promise.all([page.waitForURL('**/vorlagen/*'),
      page.click('main a[href*="/vorlagen/"] >> nth=0')]);
    nav.paperUrl = page.url();
    nav.paperTitle = (await page.textContent('h1')).trim();
    const fileLink = page.locator('main a[href*="/files/"]:not([href$="/download"])').first();
    nav.fileHref = await fileLink.getAttribute('href');
    // Headless Chromium downloads a PDF instead of showing it: either is a success.
    const response = page.waitForResponse((r) => r.url().includes('/files/'));
    const download = page.waitForEvent('download', { timeout: 15000 }).catch(() => null);
    await fileLink.click();
    const r = await response;
    nav.fileStatus = r.status();
    nav.fileType = r.headers()['content-type'];
    const d = await download;
    if (d) nav.downloadName = d.suggestedFilename();
    out.navigation = nav;
    // Keyboard: the first Tab reaches the skip link, Enter moves to the content.
    await page.goto(base);
    await page.keyboard.press('Tab');
    out.keyboard = { firstFocus: await page.evaluate(() => document.activeElement.textContent.trim()) };
    await page.keyboard.press('Enter');
    out.keyboard.afterEnter = await page.evaluate(() => ({ hash: location.hash, active: document.activeElement.id }));
    // Anonymous: no member-only text on the meeting page.
    await page.goto(base + pages.meeting);
    out.anonymousMeetingHasMemberOnly = (await mainText(page)).includes(config.memberOnly);
    // axe-core on each page.
    for (const [name, path] of Object.entries(pages)) {
      await page.goto(base + path);
      await page.addScriptTag({ content: axeSource });
      const result = await page.evaluate(() => axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        resultTypes: ['violations'],
      }));
      out.axe.push({
        page: name,
        url: page.url(),
        violations: result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, html: n.html })),
        })),
      });
    }
    await context.close();
  }

  // Screenshots at desktop and phone width; overflow at phone width.
  mkdirSync(config.screenshots, { recursive: true });
  for (const [width, options] of [
    ['desktop', { viewport: { width: 1280, height: 900 } }],
    ['phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }],
  ]) {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    for (const [name, path] of Object.entries(pages)) {
      await page.goto(base + path);
      const file = join(config.screenshots, `${name}-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      out.screenshots.push(file);
      if (width === 'phone') {
        out.overflow[name] = await page.evaluate(
          () => document.documentElement.scrollWidth > window.innerWidth);
      }
    }
    await context.close();
  }

  // Sign in from the meeting page, see the non-public part, sign out.
  {
    const context = await browser.newContext();
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    const meetingUrl = base + pages.meeting;
    await page.goto(meetingUrl);
    await page.click('text=Anmelden');
    await page.fill('input[name=username]', config.username);
    await page.fill('input[name=password]', config.password);
    await Promise.all([page.waitForURL(meetingUrl), page.click('button[type=submit]')]);
    const signIn = { afterLogin: page.url() };
    signIn.memberOnlyVisible = (await mainText(page)).includes(config.memberOnly);
    signIn.closedPartHeading = await page.locator('h2#nichtoeffentlich').count() > 0;
    signIn.header = (await page.textContent('header')).replace(/\s+/g, ' ').trim();
    await Promise.all([page.waitForURL(`${base}**`), page.click('text=Abmelden')]);
    signIn.afterLogout = page.url();
    await page.goto(meetingUrl);
    signIn.memberOnlyAfterLogout = (await mainText(page)).includes(config.memberOnly);
    out.signIn = signIn;
    await context.close();
  }
} catch (e) {
  out.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
