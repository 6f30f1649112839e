// The Sitzungsdienst's portal pages in a real browser (Debian's Chromium through
// playwright-core): a visitor checks a PDF of approved minutes by uploading it, an author
// signs in through the real OpenID provider and reads the department's work list, and
// axe-core (WCAG 2.1 A/AA) checks the check page, the work list and the meeting page with its
// minutes and tasks; a clerk signs in and works a meeting's desk: standing items, a proposed
// paper onto the agenda, the invitation sent and its delivery watched, then the sitting:
// attendance, a result, the minutes drafted, edited and approved; an author writes a paper
// and sends it for signature, the treasury rejects it from its work list. Driven by
// tests/e2e/sitzungsdienst.rs, which checks what this prints (one JSON object on stdout).
//   node sitzungsdienst.mjs <config.json>
// config: { base, username, password, clerk, clerkPassword, pdf, forged, meeting, deskMeeting,
//           deliveries, resultItem, minutesLine, draft, draftTitle, sections, signer,
//           signerPassword, rejection, task, taskDepartment, taskDue, taskReport }
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { base } = config;
const axeSource = readFileSync(join(here, 'node_modules/axe-core/axe.min.js'), 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.PLENUM_TEST_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const out = { axe: [] };
const mainText = async (page) => (await page.textContent('main')) || '';

async function axe(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() => axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'],
  }));
  out.axe.push({
    page: name,
    violations: result.violations.map((v) => ({
      id: v.id,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, html: n.html })),
    })),
  });
}

async function upload(page, file) {
  await page.goto(`${base}niederschrift-pruefen`);
  await page.setInputFiles('#datei', file);
  await Promise.all([
    page.waitForURL(`${base}niederschrift-pruefen`),
    page.click('form[enctype="multipart/form-data"] button[type=submit]'),
  ]);
  return mainText(page);
}

try {
  {
    const context = await browser.newContext();
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    out.genuine = await upload(page, config.pdf);
    await axe(page, 'minutes-check');
    out.forged = await upload(page, config.forged);
    await page.goto(`${base}sitzungen/${config.meeting}`);
    out.meeting = await mainText(page);
    await axe(page, 'meeting');
    await context.close();
  }
  {
    const context = await browser.newContext();
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    // The work list sends an anonymous visitor to the provider's login form.
    await page.goto(`${base}arbeitsliste`);
    await page.fill('input[name=username]', config.username);
    await page.fill('input[name=password]', config.password);
    await Promise.all([page.waitForURL(`${base}arbeitsliste`), page.click('button[type=submit]')]);
    out.workList = await mainText(page);
    out.navHasWorkList = ((await page.textContent('nav')) || '').includes('Meine Aufgaben');
    await axe(page, 'work-list');
    // An author is no clerk: the desk refuses.
    const refused = await page.goto(`${base}sitzungsdienst/${config.deskMeeting}`);
    out.authorDeskStatus = refused.status();
    await context.close();
  }
  {
    const context = await browser.newContext();
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    const desk = `${base}sitzungsdienst/${config.deskMeeting}`;
    await page.goto(desk);
    await page.fill('input[name=username]', config.clerk);
    await page.fill('input[name=password]', config.clerkPassword);
    await Promise.all([page.waitForURL(desk), page.click('button[type=submit]')]);
    out.deskBefore = await mainText(page);
    await axe(page, 'desk');
    await Promise.all([page.waitForURL('**erledigt=template'),
      page.click('text=Ständige Tagesordnungspunkte übernehmen')]);
    await page.check('input[name=beratung] >> nth=0');
    await Promise.all([page.waitForURL('**erledigt=agenda'),
      page.click('text=Auf die Tagesordnung setzen')]);
    out.deskAgenda = await page.textContent('ol.plain');
    await Promise.all([page.waitForURL('**erledigt=invitation'),
      page.click('text=Einladung versenden')]);
    out.deskNotice = await page.textContent('p.notice');
    // The sender delivers in the background: reload until every mail shows delivered.
    for (let i = 0; i < 50; i += 1) {
      out.delivered = await page.locator('td.delivery-sent').count();
      if (out.delivered >= config.deliveries) break;
      await page.waitForTimeout(300);
      await page.reload();
    }
    out.deskAfter = await mainText(page);
    await axe(page, 'desk-after');
    // The sitting: everybody present, the paper's result, then the minutes.
    for (const select of await page.locator('select[name^="status-"]').all()) {
      await select.selectOption('present');
    }
    await Promise.all([page.waitForURL('**erledigt=attendance'),
      page.click('text=Anwesenheit speichern')]);
    const item = page.locator('section.result-item', { hasText: config.resultItem });
    await item.locator('select[name=ergebnis]').selectOption('noted');
    await Promise.all([page.waitForURL('**erledigt=result'),
      item.locator('button[type=submit]').click()]);
    // The decision goes to the department in charge, and a task follows from it.
    const decided = page.locator('section.result-item', { hasText: config.resultItem });
    await Promise.all([page.waitForURL('**erledigt=extract'),
      decided.locator('text=Auszug an den Fachbereich').click()]);
    await decided.locator('summary').click();
    await decided.locator('input[name=aufgabe]').fill(config.task);
    await decided.locator('select[name=bereich]').selectOption({ label: config.taskDepartment });
    await decided.locator('input[name=faellig]').fill(config.taskDue);
    await Promise.all([page.waitForURL('**erledigt=task'),
      decided.locator('text=Aufgabe anlegen').click()]);
    await Promise.all([page.waitForURL('**erledigt=minutes-draft'),
      page.click('text=Niederschrift aus den erfassten Daten entwerfen')]);
    out.minutesDraft = await page.inputValue('#oeffentlich');
    await page.fill('#oeffentlich', `${out.minutesDraft}\n\n${config.minutesLine}`);
    await Promise.all([page.waitForURL('**erledigt=minutes-edit'),
      page.click('text=Entwurf speichern')]);
    await axe(page, 'desk-minutes');
    await Promise.all([page.waitForURL('**erledigt=minutes-approve'),
      page.click('text=Niederschrift genehmigen')]);
    out.deskFinal = await mainText(page);
    await context.close();
  }
  {
    // The author writes a draft in the portal and sends it for signature ...
    const author = await browser.newContext();
    author.setDefaultTimeout(15000);
    const page = await author.newPage();
    const paperDesk = `${base}vorlagen/${config.draft}/bearbeiten`;
    await page.goto(paperDesk);
    await page.fill('input[name=username]', config.username);
    await page.fill('input[name=password]', config.password);
    await Promise.all([page.waitForURL(paperDesk), page.click('button[type=submit]')]);
    for (const [i, text] of config.sections.entries()) {
      await page.fill(`#inhalt-${i}`, text);
    }
    await Promise.all([page.waitForURL('**erledigt=sections'), page.click('text=Text speichern')]);
    await axe(page, 'paper-desk');
    await Promise.all([page.waitForURL('**erledigt=submit'),
      page.click('button:has-text("Zur Zeichnung geben")')]);
    out.paperDeskSubmitted = await mainText(page);
    // ... the treasury reads it in its work list and rejects it with a reason ...
    const signer = await browser.newContext();
    signer.setDefaultTimeout(15000);
    const list = await signer.newPage();
    await list.goto(`${base}arbeitsliste`);
    await list.fill('input[name=username]', config.signer);
    await list.fill('input[name=password]', config.signerPassword);
    await Promise.all([list.waitForURL(`${base}arbeitsliste`), list.click('button[type=submit]')]);
    out.signerList = await mainText(list);
    await axe(list, 'work-list-with-step');
    const step = list.locator('section.step', { hasText: config.draftTitle });
    await step.locator('textarea[name=text]').fill(config.rejection);
    await step.locator('input[value=reject]').check();
    await Promise.all([list.waitForURL('**erledigt=1'), step.locator('button[type=submit]').click()]);
    out.signerAfter = await mainText(list);
    await signer.close();
    // ... and the author finds it returned, with the reason.
    await page.goto(paperDesk);
    out.paperDeskReturned = await mainText(page);
    // The department reports the task from the decision done.
    await page.goto(`${base}arbeitsliste`);
    const task = page.locator('section.task', { hasText: config.task });
    await task.locator('input[name=prozent]').fill('100');
    await task.locator('textarea[name=bericht]').fill(config.taskReport);
    await Promise.all([page.waitForURL('**erledigt=1'), task.locator('button[type=submit]').click()]);
    out.taskReported = await mainText(page);
    await axe(page, 'work-list-after-task');
    await author.close();
  }
} catch (e) {
  out.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
