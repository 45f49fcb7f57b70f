import assert from 'node:assert/strict';
import { fires } from '../../daemon/events/actions';
import { shownUrl, signature } from '../../daemon/events/notifiers';
import { DEFAULT_MESSAGE, renderTemplate, templateProblem, type TemplateView } from '../../daemon/events/templates';

const view: TemplateView = {
  event: { id: 'evt_aaaaaaaaaaaa', name: 'backup', type: 'bash', description: '', tags: [] },
  job: {
    id: 'job_bbbbbbbbbbbb',
    name: 'backup',
    status: 'failed',
    source: 'schedule',
    exitCode: 2,
    signal: null,
    lastError: 'Exited with code 2',
    startedAt: '2026-03-01T10:00:00.000Z',
    finishedAt: '2026-03-01T10:00:01.500Z',
    durationMs: 1500,
    condition: null,
  },
  output: { files: 3, path: '/srv/a&b' },
  variables: { host: 'db<1>', token: 's3cret' },
  trigger: 'failure',
};

describe('action templates', () => {
  it('renders event, job, output and variables without HTML escaping', () => {
    assert.equal(
      renderTemplate('{{event.name}} {{job.status}} ({{job.exitCode}}) {{output.path}} on {{variables.host}} via {{trigger}}', view),
      'backup failed (2) /srv/a&b on db<1> via failure',
    );
  });

  it('escapes values, not the template, for an HTML part', () => {
    assert.equal(renderTemplate('<b>{{variables.host}}</b>', view, { html: true }), '<b>db&lt;1&gt;</b>');
  });

  it('prints an object or array as JSON rather than [object Object]', () => {
    assert.equal(renderTemplate('{{output}}', view), '{"files":3,"path":"/srv/a&b"}');
    assert.equal(renderTemplate('{{event.tags}}', view), '[]');
  });

  it('renders a missing field as nothing', () => {
    assert.equal(renderTemplate('[{{output.nothing}}][{{variables.absent}}]', view), '[][]');
  });

  it('has a default message that names the event, the outcome and the job', () => {
    assert.equal(renderTemplate(DEFAULT_MESSAGE, view), 'Cronium: backup failed (exit 2), job job_bbbbbbbbbbbb: Exited with code 2');
    const succeeded = { ...view, job: { ...view.job, status: 'succeeded', exitCode: 0, lastError: null } };
    assert.equal(renderTemplate(DEFAULT_MESSAGE, succeeded), 'Cronium: backup succeeded, job job_bbbbbbbbbbbb');
  });

  it('tells why a template does not parse', () => {
    assert.equal(templateProblem('{{job.status}} fine'), undefined);
    assert.match(templateProblem('{{#job}} never closed') ?? '', /Unclosed section/);
    assert.match(templateProblem('{{job.status') ?? '', /Unclosed tag/);
  });
});

describe('action triggers', () => {
  it('runs success only for a job that succeeded, failure for every other end', () => {
    assert.equal(fires('success', 'succeeded', null), true);
    for (const status of ['failed', 'timed_out', 'cancelled', 'partial'] as const) {
      assert.equal(fires('success', status, null), false, status);
      assert.equal(fires('failure', status, null), true, status);
    }
    assert.equal(fires('failure', 'succeeded', null), false);
  });

  it('runs always whatever the end, and condition only when the script set it true', () => {
    assert.equal(fires('always', 'succeeded', null), true);
    assert.equal(fires('always', 'failed', false), true);
    assert.equal(fires('condition', 'failed', true), true);
    assert.equal(fires('condition', 'succeeded', false), false);
    assert.equal(fires('condition', 'succeeded', null), false);
  });
});

describe('webhook signature and shown URLs', () => {
  it('signs the body with HMAC-SHA256 as sha256=<hex>', () => {
    // The widely published answer for HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
    assert.equal(
      signature('The quick brown fox jumps over the lazy dog', 'key'),
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  it('shows a URL without its path, query or credentials', () => {
    assert.equal(shownUrl('https://hooks.slack.com/services/T0/B0/XYZ'), 'https://hooks.slack.com/…');
    assert.equal(shownUrl('https://user:pw@example.com:8443/hook?token=abc'), 'https://example.com:8443/…');
    assert.equal(shownUrl('http://127.0.0.1:9000/'), 'http://127.0.0.1:9000');
  });
});
