// Run extension integration tests (mocha inside the *remote Node extension host* of code-server)
// the way VS Code's own web integration tests do: open the workbench with
//   ?payload=[["extensionDevelopmentPath","vscode-remote://<authority><abs path>"],
//             ["extensionTestsPath","vscode-remote://<authority><abs path to compiled suite index>"]]
// and expose window.codeAutomationLog / window.codeAutomationExit, which the workbench calls.
// Usage: node run-ext-tests.js <baseUrl> <extDir> <testsDir> [folder]
const { chromium } = require('playwright-core');
const fs = require('fs');
const { URL } = require('url');
const { clearTimeout } = require('timers');

const [,, base, extDir, testsDir, folder] = process.argv;
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

(async () => {
  // code-server's workbench.js overrides the configured remoteAuthority with `location.host`
  // (stock VS Code server puts the Host header there), so vscode-remote:// URIs must use host:port.
  const auth = process.env.REMOTE_AUTHORITY || new URL(base).host;
  log('remoteAuthority =', auth);
  const remote = p => `vscode-remote://${auth}${p}`;
  const payload = [['extensionDevelopmentPath', remote(extDir)], ['extensionTestsPath', remote(testsDir)]];
  let url = `${base}/?payload=${encodeURIComponent(JSON.stringify(payload))}`;
  if (folder) url += `&folder=${encodeURIComponent(folder)}`;

  const profile = fs.mkdtempSync(require('path').join(require('os').tmpdir(), 'pw-chrome-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] || await browser.newPage();
  let finish;
  const done = new Promise(r => (finish = r));
  // The workbench forwards every log line (its own + the extension host's console) here.
  // Keep the ones the test runner tagged with "[test] " unless VERBOSE=1; keep all in a file.
  const util = require('util');
  const all = fs.createWriteStream(process.env.FULL_LOG || 'ext-tests-full.log');
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const line = util.format(...(Array.isArray(args) ? args : [args]));
    all.write(`[${type}] ${line}\n`);
    if (process.env.VERBOSE === '1') console.log(`[${type}] ${line}`);
    else if (line.startsWith('[test] ')) console.log(line.slice(7));
  });
  await page.exposeFunction('codeAutomationExit', (code) => finish(code));
  page.on('pageerror', e => log('PAGEERROR', e.message));
  if (process.env.DEBUG_CONSOLE) page.on('console', m => log('console.' + m.type(), m.text().slice(0, 300)));
  const timeout = setTimeout(() => { log('TIMEOUT waiting for codeAutomationExit'); finish(124); }, Number(process.env.TEST_TIMEOUT_MS || 180000));
  await page.goto(url);
  const code = await done;
  clearTimeout(timeout);
  log('codeAutomationExit code =', code);
  if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT }).catch(e => log('screenshot failed', e.message));
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(typeof code === 'number' ? code : 1);
})().catch(e => { console.error(e); process.exit(2); });
