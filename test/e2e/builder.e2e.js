/* global window, requestAnimationFrame, cancelAnimationFrame, performance -- used in functions evaluated inside the webview */
// The workflow builder (issue 10) in a real VS Code (code-server) with the packaged .vsix, driven by
// playwright-core + Debian chromium. The builder is a webview: VS Code nests it in iframes, reached
// through page.frames(). Usage: node builder.e2e.js <baseUrl> <workspace> <cronium home> <artifacts dir>
// Exits 0 when every check passed; screenshots go to the artifacts dir.
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');
const os = require('os');
const { execFileSync } = require('child_process');

const [, , base, folder, home, artifacts] = process.argv;
const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const FILE = 'deploy.cronium.json';
const t0 = Date.now();
const log = (...a) => console.log(`[builder ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const qi = page.locator('.quick-input-widget');
  await qi.waitFor({ state: 'visible', timeout: 15000 });
  await qi.locator('input').first().fill('>' + title);
  await qi.locator('.monaco-list-row', { hasText: title }).first().waitFor({ timeout: 15000 });
  await page.keyboard.press('Enter');
  await qi.waitFor({ state: 'hidden', timeout: 15000 });
}

/** The frame that holds the builder's canvas (VS Code's webview iframes are nested two deep). */
async function builderFrame(page, timeout = 30000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if ((await frame.locator('.react-flow').count().catch(() => 0)) > 0) return frame;
    }
    await sleep(250);
  }
  throw new Error('the builder webview did not show a canvas');
}

/** Polls `read` until `predicate` holds (or the time is up); returns the last value read. */
async function until(read, predicate, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let value = await read();
  while (!predicate(value) && Date.now() < deadline) {
    await sleep(150);
    value = await read();
  }
  return value;
}

async function centre(locator) {
  const box = await locator.boundingBox();
  if (!box) throw new Error(`no box for ${locator}`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags from one step's output handle to another's input handle, as a user draws an edge. */
async function drawEdge(page, frame, from, to) {
  const a = await centre(frame.locator(`.react-flow__node[data-id="${from}"] .react-flow__handle.source`));
  const b = await centre(frame.locator(`.react-flow__node[data-id="${to}"] .react-flow__handle.target`));
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 20, { steps: 8 });
  await page.mouse.move(b.x, b.y, { steps: 8 });
  await page.mouse.up();
}

/** The file as saved; while VS Code is writing it (truncated, half written) an empty workflow, read again. */
const onDisk = () => {
  try {
    return JSON.parse(fs.readFileSync(path.join(folder, FILE), 'utf8'));
  } catch {
    return { nodes: [], edges: [] };
  }
};
const edgeLabel = (frame, id) => frame.locator(`button.edge-label[data-edge="${id}"]`);
const labelText = (frame, id) => edgeLabel(frame, id).innerText().catch(() => '');
const dirty = (page) => page.locator('.tab.dirty', { hasText: FILE }).count();

/** Preferences: Color Theme (Ctrl+K Ctrl+T), then the theme's name: as a user switches themes. */
async function pickTheme(page, theme) {
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+T');
  const qi = page.locator('.quick-input-widget');
  await qi.locator('input[placeholder*="Select Color Theme"]').first().waitFor({ timeout: 15000 });
  await qi.locator('input').first().fill(theme);
  await qi.locator('.monaco-list-row.focused', { hasText: theme }).first().waitFor({ timeout: 15000 });
  await page.keyboard.press('Enter');
  await qi.waitFor({ state: 'hidden', timeout: 15000 });
}

/** A workflow of `n` steps in a grid, with `m` forward edges (no cycles): the builder's size target. */
function bigWorkflow(n, m) {
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: `s${i}`, script: { runtime: ['bash', 'python', 'node'][i % 3], content: 'true\n' }, target: 'local',
    position: { x: (i % 20) * 260, y: Math.floor(i / 20) * 110 },
  }));
  const edges = [];
  const seen = new Set();
  const when = ['always', 'on_success', 'on_failure', 'on_condition'];
  for (let k = 0; edges.length < m; k++) {
    const from = k % (n - 1);
    const to = Math.min(n - 1, from + 1 + ((k * 7) % 25));
    if (from === to || seen.has(`${from}-${to}`)) continue;
    seen.add(`${from}-${to}`);
    edges.push({ from: `s${from}`, to: `s${to}`, when: when[k % 4] });
  }
  return `${JSON.stringify({ name: 'big', nodes, edges }, null, 2)}\n`;
}

(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-chrome-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] || (await browser.newPage());
  page.on('pageerror', (e) => log('PAGEERROR', e.message));
  let ok = true;
  const check = (cond, what) => { log(cond ? 'PASS' : 'FAIL', what); if (!cond) ok = false; };
  const shot = async (name) => { const p = path.join(artifacts, name); await page.screenshot({ path: p }); log('screenshot', p); };
  // Written before the workbench loads, so quick open knows it.
  fs.writeFileSync(path.join(folder, 'big.cronium.json'), bigWorkflow(200, 300));
  // An event for the palette, made with the CLI on the home the extension uses (it starts the daemon).
  execFileSync(process.execPath, [CLI, '--home', home, 'events', 'create', 'notify-team', '--script', 'echo notified', '--runtime', 'bash'], { stdio: 'inherit' });
  try {
    await page.goto(`${base}/?folder=${encodeURIComponent(folder)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    await page.locator('.statusbar-item', { hasText: 'Cronium' }).first().waitFor({ timeout: 60000 });

    // Opening the file opens the builder (the default editor of *.cronium.json), drawing its steps.
    await page.keyboard.press('Control+P');
    const qi = page.locator('.quick-input-widget');
    await qi.locator('input').first().fill(FILE);
    await qi.locator('.monaco-list-row', { hasText: FILE }).first().waitFor({ timeout: 15000 });
    await page.keyboard.press('Enter');
    const opened = Date.now();
    const frame = await builderFrame(page);
    await frame.locator('.react-flow__node').first().waitFor({ timeout: 15000 });
    log(`canvas drawn ${Date.now() - opened} ms after Enter`);
    const titles = await frame.locator('.react-flow__node .step-title').allInnerTexts();
    check(titles.join(',') === 'Build,Test,Report', `steps drawn: ${titles.join(', ')}`);
    check((await until(() => labelText(frame, 'build->test'), (t) => t === 'On Success')) === 'On Success', `edge build → test labelled: ${await labelText(frame, 'build->test')}`);
    await shot('10-builder-open.png');

    // Connect Build → Report by dragging between their handles: a new edge, labelled On Success, file dirty.
    await drawEdge(page, frame, 'build', 'report');
    check((await until(() => labelText(frame, 'build->report'), (t) => t === 'On Success')) === 'On Success', 'drew build → report, labelled On Success');
    check((await until(() => dirty(page), (n) => n > 0)) > 0, 'the tab shows unsaved changes');

    // Change its condition in the edge's popover.
    await edgeLabel(frame, 'build->report').click();
    await frame.locator('.popover [role="menuitem"]', { hasText: 'On Failure' }).click();
    check((await until(() => labelText(frame, 'build->report'), (t) => t === 'On Failure')) === 'On Failure', 'the popover changed the edge to On Failure');

    // Undo and redo are VS Code's (the document's edits).
    await frame.locator('.react-flow__pane').click({ position: { x: 20, y: 200 } });
    await page.keyboard.press('Control+Z');
    check((await until(() => labelText(frame, 'build->report'), (t) => t === 'On Success')) === 'On Success', `undo: the edge is On Success again (${await labelText(frame, 'build->report')})`);
    await page.keyboard.press('Control+Shift+Z');
    check((await until(() => labelText(frame, 'build->report'), (t) => t === 'On Failure')) === 'On Failure', `redo: On Failure again (${await labelText(frame, 'build->report')})`);

    // Save: the file on disk has the new edge, and the tab is clean.
    await page.keyboard.press('Control+S');
    const saved = await until(onDisk, (d) => d.edges.some((e) => e.from === 'build' && e.to === 'report'));
    check(JSON.stringify(saved.edges.find((e) => e.to === 'report' && e.from === 'build')) === '{"from":"build","to":"report","when":"on_failure"}', `saved: ${JSON.stringify(saved.edges)}`);
    check((await until(() => dirty(page), (n) => n === 0)) === 0, 'the tab is clean after Save');
    await shot('11-builder-edited.png');

    // An edge that would close a cycle is refused as it is drawn, with the cycle named.
    await drawEdge(page, frame, 'report', 'build');
    const refusal = await until(() => frame.locator('.refusal').innerText().catch(() => ''), (t) => t !== '');
    check(/would close a cycle: report → build → report/.test(refusal), `cycle refused: ${refusal}`);
    check((await edgeLabel(frame, 'report->build').count()) === 0, 'no edge report → build was drawn');
    await shot('12-builder-cycle-refused.png');

    // An event and a new script dragged in from the palette; then Revert takes the file back to what is on disk.
    const eventEntry = frame.locator('.palette-item', { hasText: 'notify-team' }).first();
    await eventEntry.waitFor({ timeout: 20000 });
    await eventEntry.dragTo(frame.locator('.react-flow__pane'), { targetPosition: { x: 420, y: 420 } });
    const count = () => frame.locator('.react-flow__node').count();
    const eventNode = frame.locator('.react-flow__node[data-id="notify-team"] .step-sub');
    check((await until(count, (n) => n === 4)) === 4 && (await eventNode.innerText().catch(() => '')) === 'event', `dragged the event notify-team from the palette: ${await count()} steps`);
    const newStep = frame.locator('.palette-item', { hasText: 'New inline script' }).first();
    await newStep.dragTo(frame.locator('.react-flow__pane'), { targetPosition: { x: 200, y: 420 } });
    check((await until(count, (n) => n === 5)) === 5, `dragged a new script step from the palette: ${await count()} steps`);
    await runCommand(page, 'File: Revert File');
    check((await until(count, (n) => n === 3)) === 3, `revert: ${await count()} steps, as on disk`);
    check((await until(() => dirty(page), (n) => n === 0)) === 0, 'the tab is clean after Revert');

    // The file as text beside the builder: an edit on the canvas shows in the text, one in the text on the canvas.
    await frame.locator('.toolbar button', { hasText: 'Text Beside' }).click();
    const textEditor = page.locator('.editor-group-container').nth(1).locator('.monaco-editor').first();
    await textEditor.waitFor({ timeout: 15000 });
    // The builder has half the width now: fit the steps into it, then move Report down a step with a key.
    await frame.locator('.react-flow__controls-fitview').click();
    await sleep(400);
    await frame.locator('.react-flow__node[data-id="report"]').click();
    await page.keyboard.press('ArrowDown');
    const textNow = () => textEditor.locator('.view-lines').innerText().then((t) => t.replace(/\u00a0/g, ' ')).catch(() => '');
    check(/"x": 360,\s+"y": 265/.test(await until(textNow, (t) => /"x": 360,\s+"y": 265/.test(t))), 'the canvas edit (Report moved 5 px down) shows in the text beside');
    // In the text: line 32 is Report's `"name": "Report",` in the file as the builder writes it.
    await textEditor.click();
    await page.keyboard.press('Control+G');
    await page.keyboard.type('32');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type(' 2');
    const title = () => frame.locator('.react-flow__node[data-id="report"] .step-title').innerText().catch(() => '');
    check((await until(title, (t) => t === 'Report 2')) === 'Report 2', `the text edit shows on the canvas: ${await title()}`);
    await page.keyboard.press('Control+Z');
    await page.keyboard.press('Control+Z');
    check((await until(title, (t) => t === 'Report')) === 'Report' && /"x": 360,\s+"y": 260/.test(await until(textNow, (t) => /"x": 360,\s+"y": 260/.test(t))), 'undo in the text editor undoes both, on the canvas too');
    check((await until(() => dirty(page), (n) => n === 0)) === 0, 'back to the saved file: no unsaved changes');
    await shot('12b-builder-text-beside.png');
    await page.keyboard.press('Control+W');
    await page.locator('.editor-group-container').nth(1).waitFor({ state: 'detached', timeout: 10000 }).catch(() => undefined);
    await sleep(300);
    await frame.locator('.react-flow__controls-fitview').click();

    // Run it from the builder: Build and Test turn green, the On Failure branch (Report) grey; a step's log opens.
    const stateOf = (id) => frame.locator(`.react-flow__node[data-id="${id}"] .step`).getAttribute('class').catch(() => '');
    await frame.locator('.run-button').click();
    const runStatus = await until(() => frame.locator('.run-status').first().innerText().catch(() => ''), (t) => /^Run (succeeded|failed|partial)/.test(t), 60000);
    check(runStatus.startsWith('Run succeeded'), `run from the builder: ${runStatus}`);
    const states = {};
    for (const id of ['build', 'test', 'report']) states[id] = (await until(() => stateOf(id), (c) => /state-(succeeded|skipped|failed)/.test(c))).match(/state-(\w+)/)?.[1];
    check(states.build === 'succeeded' && states.test === 'succeeded' && states.report === 'skipped', `steps after the run: ${JSON.stringify(states)}`);
    await shot('13a-builder-run.png');
    await frame.locator('.react-flow__node[data-id="test"]').click();
    await frame.locator('.details-step vscode-button', { hasText: 'Open Log' }).click();
    const stepLog = await until(() => page.locator('.part.panel .view-lines').innerText().catch(() => ''), (t) => t.includes('tested'), 20000);
    check(stepLog.includes("tested"), `the Test step’s log in the output channel: ${JSON.stringify(stepLog.slice(0, 200))}`);
    // History lists the run; Clear takes it off the canvas.
    await frame.locator('.run-bar button', { hasText: 'History' }).click();
    const historyText = await until(() => frame.locator('.history').innerText().catch(() => ''), (t) => /succeeded · manual/.test(t));
    check(/succeeded · manual/.test(historyText), `history: ${JSON.stringify(historyText.slice(0, 200))}`);
    await frame.locator('.run-bar button', { hasText: 'History' }).click();
    // The Workflows view lists the file with its last run.
    await page.locator('.statusbar-item', { hasText: 'Cronium' }).first().click();
    const workflowsHeader = page.locator('.pane-header[aria-label^="Workflows"]');
    await workflowsHeader.waitFor({ timeout: 15000 });
    if ((await workflowsHeader.getAttribute('aria-expanded')) !== 'true') await workflowsHeader.click();
    const workflowRow = page.locator('.pane', { has: workflowsHeader }).locator('.monaco-list-row[role="treeitem"]', { hasText: 'deploy' }).first();
    const rowText = await until(() => workflowRow.innerText().catch(() => ''), (t) => t.includes('last run succeeded'), 15000);
    check(rowText.includes('last run succeeded'), `Workflows view: ${JSON.stringify(rowText)}`);
    await frame.locator('.run-bar button', { hasText: 'Clear' }).click();
    check(!/state-/.test(await until(() => stateOf('test'), (c) => !/state-/.test(c))), 'Clear: no run on the canvas');

    // An invalid file (an edit on disk: an event step naming an event that does not exist): the engine's
    // reason on the step and in the Problems panel.
    const invalid = onDisk();
    invalid.nodes.push({ id: 'ghost', event: 'no-such-event', position: { x: 700, y: 120 } });
    invalid.edges.push({ from: 'test', to: 'ghost', when: 'on_success' });
    fs.writeFileSync(path.join(folder, FILE), `${JSON.stringify(invalid, null, 2)}\n`);
    const ghost = frame.locator('.react-flow__node[data-id="ghost"] .step');
    const ghostTitle = await until(() => ghost.getAttribute('title').catch(() => null), (t) => t !== null && t.includes('no event named'), 20000);
    check((ghostTitle || '').includes('no event named no-such-event'), `the step shows the engine's reason: ${ghostTitle}`);
    await runCommand(page, 'View: Focus Problems');
    const problems = await until(() => page.locator('.markers-panel').innerText().catch(() => ''), (t) => t.includes('no event named no-such-event'), 15000);
    check(problems.includes('no event named no-such-event'), `Problems panel: ${JSON.stringify(problems.slice(0, 200))}`);
    await shot('13b-builder-invalid.png');
    // Back to the valid file.
    invalid.nodes.pop();
    invalid.edges.pop();
    fs.writeFileSync(path.join(folder, FILE), `${JSON.stringify(invalid, null, 2)}\n`);
    check((await until(() => ghost.count(), (n) => n === 0)) === 0, 'the valid file again: no ghost step');

    // The same screen in a dark and a high-contrast theme (the workbench starts in its light one).
    await page.keyboard.press('Escape');
    await shot('13-builder-light.png');
    for (const [theme, cls, name] of [['Dark Modern', 'vs-dark', '14-builder-dark.png'], ['Dark High Contrast', 'hc-black', '15-builder-high-contrast.png'], ['Light Modern', 'vs', undefined]]) {
      await pickTheme(page, theme);
      const applied = await page.waitForFunction((c) => globalThis.document.querySelector('.monaco-workbench')?.classList.contains(c), cls, { timeout: 15000 }).then(() => true, () => false);
      check(applied, `theme ${theme} applied`);
      await sleep(500);
      if (name) await shot(name);
    }
    // Keyboard only: a focused step moves with the arrow keys (written to the file once the keys rest),
    // and Enter opens a script step's script beside the builder.
    const testNode = frame.locator('.react-flow__node[data-id="test"]');
    await frame.locator('.react-flow__pane').click({ position: { x: 20, y: 300 } }); // the webview has the focus
    await testNode.focus();
    await page.keyboard.press('Enter'); // selects the focused step
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('ArrowDown');
      await sleep(50);
    }
    check((await until(() => dirty(page), (n) => n > 0)) > 0, 'arrow keys moved the step: the tab is dirty');
    await page.keyboard.press('Control+S');
    const moved = await until(onDisk, (d) => d.nodes.some((n) => n.id === 'test' && n.position.y !== 40));
    const movedY = moved.nodes.find((n) => n.id === 'test')?.position.y;
    check(movedY === 60, `Test moved 4 × 5 px down with the keyboard: y ${movedY}`);
    await testNode.focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    const scriptTab = page.locator('.tab', { hasText: 'test.sh' });
    check(await scriptTab.first().waitFor({ timeout: 10000 }).then(() => true, () => false), 'Enter opened the step’s script in a tab');

    // Nothing the theme switches did touched the workflow: the canvas still shows the saved file.
    const after = onDisk().edges.find((e) => e.from === 'build' && e.to === 'report');
    check(after?.when === 'on_failure' && (await dirty(page)) === 0, `after the themes: build → report ${after?.when} on disk, ${await dirty(page)} dirty tab(s)`);

    // A 200-step, 300-edge workflow: how long from Enter to every step drawn, and the frame rate while a
    // step is dragged (frames counted by requestAnimationFrame in the webview).
    await page.keyboard.press('Control+P');
    await qi.locator('input').first().fill('big.cronium.json');
    await qi.locator('.monaco-list-row', { hasText: 'big.cronium.json' }).first().waitFor({ timeout: 15000 });
    const bigStart = Date.now();
    await page.keyboard.press('Enter');
    let big;
    for (const deadline = Date.now() + 30000; Date.now() < deadline && !big; await sleep(20)) {
      for (const f of page.frames()) {
        if ((await f.locator('.react-flow__node').count().catch(() => 0)) >= 200) big = f;
      }
    }
    const seenMs = Date.now() - bigStart;
    check(big !== undefined, `200 steps drawn (seen ${seenMs} ms after Enter)`);
    // From Enter to React Flow's init (a performance mark in the webview), on the same clock: VS Code's
    // webview start, the bundle's load and the first drawing of every step.
    const marks = big && (await big.evaluate(() => ({
      origin: performance.timeOrigin,
      script: performance.getEntriesByType('resource').find((r) => r.name.includes('builder.js'))?.responseEnd ?? null,
      ready: performance.getEntriesByName('cronium:builder-ready')[0]?.startTime ?? null,
      marks: performance.getEntriesByType('mark').map((m) => `${m.name} ${Math.round(m.startTime)}`).join(', '),
    })));
    log('webview marks:', marks && marks.marks);
    const openMs = marks && marks.ready !== null ? Math.round(marks.origin + marks.ready - bigStart) : Number.NaN;
    log(`MEASURED builder open 200 nodes/300 edges: ${openMs} ms from Enter to drawn (webview document started ${Math.round(marks.origin - bigStart)} ms after Enter, bundle loaded at +${Math.round(marks.script)} ms, drawn at +${Math.round(marks.ready)} ms) (target ≤ 1000)`);
    // Reported, not failed on: most of it is VS Code's and the machine's (1.2–1.9 s on a loaded 2-core
    // machine, of which 0.45–0.6 s before the webview's document starts).
    log(openMs <= 1000 ? 'TARGET MET: open ≤ 1 s' : 'TARGET MISSED: open ≤ 1 s');
    if (big) {
      const node = big.locator('.react-flow__node[data-id="s0"]');
      const at = await centre(node);
      await big.evaluate(() => {
        window.__frames = 0;
        const tick = () => { window.__frames++; window.__raf = requestAnimationFrame(tick); };
        window.__raf = requestAnimationFrame(tick);
      });
      await page.mouse.move(at.x, at.y);
      await page.mouse.down();
      const dragStart = Date.now();
      for (let i = 1; i <= 90; i++) {
        await page.mouse.move(at.x + i * 3, at.y + Math.sin(i / 10) * 60);
        await sleep(8);
      }
      await page.mouse.up();
      const dragMs = Date.now() - dragStart;
      const frames = await big.evaluate(() => { cancelAnimationFrame(window.__raf); return window.__frames; });
      const fps = Math.round((frames / dragMs) * 1000);
      log(`MEASURED builder drag with 200 nodes/300 edges: ${frames} frames in ${dragMs} ms = ${fps} fps (target ≥ 50)`);
      // Rated in `npm run bench` (builder); here it is printed, as the machine's other load moves it.
      log(fps >= 50 ? 'TARGET MET: drag ≥ 50 fps' : 'TARGET MISSED: drag ≥ 50 fps');
      await shot('16-builder-200-steps.png');
    }
  } catch (e) {
    ok = false;
    log('ERROR', e && e.stack ? e.stack : e);
    await page.screenshot({ path: path.join(artifacts, 'builder-error.png') }).catch(() => undefined);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  log(ok ? 'BUILDER CHECKS OK' : 'BUILDER CHECKS FAILED');
  process.exit(ok ? 0 : 1);
})();
