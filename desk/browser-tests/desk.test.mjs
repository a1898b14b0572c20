// Headless Chromium through the Workvoice desk: sign in, filter, open a case, reply, refer,
// dashboard. Any console error, page error or failed request fails the test.
// Run by scripts/test-browser, which starts a seeded desk and sets DESK_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const URL = process.env.DESK_URL;
const USER = process.env.DESK_USER;
const PASSWORD = process.env.DESK_PASSWORD;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), 'workvoice-desk-screenshots');

let context;
let page;
let profile;
const problems = [];

before(async () => {
  assert.ok(URL && USER && PASSWORD, 'DESK_URL, DESK_USER and DESK_PASSWORD must be set');
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'wv-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1366, height: 768 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

function noProblems() {
  assert.deepEqual(problems, [], 'no console error and no failed request');
}

test('sign in', async () => {
  await page.goto(`${URL}/login`);
  await page.getByLabel('User name').fill(USER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Cases' }).waitFor();
  assert.match(await page.locator('header').innerText(), new RegExp(`Signed in as\\s+${USER}`));
  noProblems();
});

test('filter the list by destination and indicator', async () => {
  const all = await page.locator('table.cases tbody tr').count();
  assert.ok(all >= 6, `seeded cases listed (${all})`);
  await page.getByLabel('Destination country').selectOption('QA');
  await page.getByLabel('Forced-labour indicator').selectOption('retention_of_identity_documents');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/destination=QA/);
  const rows = page.locator('table.cases tbody tr');
  const n = await rows.count();
  assert.ok(n > 0 && n < all, `the filter narrows the list (${n} of ${all})`);
  for (const text of await rows.locator('td:nth-child(4)').allInnerTexts()) {
    assert.match(text, /→ Qatar$/);
  }
  await page.screenshot({ path: join(SHOTS, 'list.png'), fullPage: false });
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await page.getByLabel('Search the text of reports').fill('paspor');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  assert.ok(await rows.count() >= 1, 'free-text search finds the Indonesian report');
  noProblems();
});

test('open a case, reply to the worker', async () => {
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await page.getByLabel('Search the text of reports').fill('राहदानी');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.locator('table.cases tbody tr th a').first().click();
  await page.getByRole('heading', { level: 1, name: /^Case \d+/ }).waitFor();
  const words = page.locator('blockquote.free-text');
  assert.equal(await words.getAttribute('dir'), 'auto');
  assert.match(await words.innerText(), /राहदानी/);
  assert.match(await page.locator('main').innerText(), /Retention of identity documents/);
  assert.match(await page.locator('main').innerText(), /NPR 1\d\d,\d\d\d\.00/, 'money with minor units');
  await page.screenshot({ path: join(SHOTS, 'case.png'), fullPage: false });
  await page.getByLabel('Message', { exact: true }).fill('नमस्ते। हामीले तपाईंको रिपोर्ट पायौं। We received your report and will contact the employer.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.getByText('Reply sealed and sent').waitFor();
  assert.match(await page.locator('ol.history').innerText(), /We received your report/);
  noProblems();
});

test('refer a consenting case; no referral without consent', async () => {
  // The Indonesian case consented to the inspectorate (which routing did not already reach).
  await page.goto(`${URL}/?q=paspor`);
  await page.locator('table.cases tbody tr th a').first().click();
  await page.getByRole('heading', { level: 1, name: /^Case \d+/ }).waitFor();
  const refer = page.getByRole('button', { name: 'Refer this case' });
  assert.equal(await refer.count(), 1, 'the referral button is there with consent');
  await page.getByLabel(/Labour Inspectorate/).check();
  await refer.click();
  await page.getByText('Case referred').waitFor();
  assert.match(await page.locator('h1').innerText(), /Referred/);
  // The Urdu case did not consent: no button, and the reason is shown.
  await page.goto(`${URL}/?q=%D9%BE%D8%A7%D8%B3%D9%BE%D9%88%D8%B1%D9%B9`);
  await page.locator('table.cases tbody tr th a').first().click();
  assert.equal(await page.getByRole('button', { name: 'Refer this case' }).count(), 0);
  assert.match(await page.locator('aside').innerText(), /did not consent/);
  assert.equal(await page.locator('blockquote.free-text').getAttribute('lang'), 'ur');
  noProblems();
});

test('dashboard charts', async () => {
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  const charts = page.locator('svg.chart');
  assert.ok(await charts.count() >= 4, 'weekly, indicators, fees and SDG charts');
  assert.match(await page.locator('main').innerText(), /Reports received per week/);
  assert.match(await page.locator('main').innerText(), /SDG 10\.7\.1/);
  await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: false });
  noProblems();
});
