import { strict as assert } from 'node:assert';
import { autoLayout, NODE_SIZE } from '../../webviews/builder/autoLayout';
import { addNode, connect, copy, edgeId, moveNodes, paste, remove, setCondition } from '../../webviews/builder/graphEdits';
import { formatWorkflow, parseWorkflow, type WorkflowDocument } from '../../webviews/builder/workflowDocument';
import { formatWorkflow as engineFormat } from '../../daemon/workflows/model';
import type { WorkflowDocument as EngineDocument, WorkflowRunDto, WorkflowStepDto } from '../../daemon/protocol/workflows';
import { nodeLocation, toBuilderProblems } from '../../extension/workflows/workflowProblems';
import { firedEdges, stepStates } from '../../webviews/builder/runView';

const script = (content: string) => ({ runtime: 'bash' as const, content });

/** build → test → deploy, and notify on test's failure. */
function deploy(): WorkflowDocument {
  return {
    name: 'deploy',
    nodes: [
      { id: 'build', script: script('make\n'), target: 'local', position: { x: 0, y: 0 } },
      { id: 'test', script: script('make test\n'), target: 'local', position: { x: 300, y: 0 } },
      { id: 'deploy', event: 'deploy-prod', position: { x: 600, y: 0 } },
      { id: 'notify', event: 'notify-team', position: { x: 600, y: 120 } },
    ],
    edges: [
      { from: 'build', to: 'test', when: 'on_success' },
      { from: 'test', to: 'deploy', when: 'on_success' },
      { from: 'test', to: 'notify', when: 'on_failure' },
    ],
  };
}

const must = <T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> => {
  assert.equal(result.ok, true, JSON.stringify(result));
  return result as Extract<T, { ok: true }>;
};

describe('workflow builder: drawing edges', function () {
  it('connects two steps with On Success unless told otherwise', function () {
    const next = must(connect(deploy(), 'build', 'notify')).document;
    assert.deepEqual(next.edges.at(-1), { from: 'build', to: 'notify', when: 'on_success' });
  });

  it('refuses an edge that would close a cycle, naming the cycle', function () {
    const refused = connect(deploy(), 'deploy', 'build');
    assert.deepEqual(refused, { ok: false, reason: 'This edge would close a cycle: deploy → build → test → deploy. A workflow runs each step once.' });
  });

  it('refuses a step that follows itself and a second edge between the same steps', function () {
    assert.match((connect(deploy(), 'test', 'test') as { reason: string }).reason, /cannot follow itself/);
    assert.match((connect(deploy(), 'build', 'test') as { reason: string }).reason, /drawn already; change its condition/);
  });

  it('changes one edge’s condition and leaves the others', function () {
    const next = setCondition(deploy(), edgeId({ from: 'test', to: 'notify' }), 'always');
    assert.deepEqual(next.edges.map((e) => e.when), ['on_success', 'on_success', 'always']);
  });
});

describe('workflow builder: steps', function () {
  it('adds a step under a fresh id when its name is taken', function () {
    const { document, id } = addNode(deploy(), { id: 'build', script: script('true\n') });
    assert.equal(id, 'build-2');
    assert.deepEqual(document.nodes.map((n) => n.id), ['build', 'test', 'deploy', 'notify', 'build-2']);
  });

  it('deletes a step with every edge that touches it', function () {
    const next = remove(deploy(), new Set(['test']));
    assert.deepEqual(next.nodes.map((n) => n.id), ['build', 'deploy', 'notify']);
    assert.deepEqual(next.edges, []);
  });

  it('pastes copies with fresh ids, keeping the edges between them, moved aside', function () {
    const doc = deploy();
    const { document, ids } = paste(doc, copy(doc, new Set(['build', 'test'])));
    assert.deepEqual(ids, ['build-2', 'test-2']);
    assert.deepEqual(document.edges.at(-1), { from: 'build-2', to: 'test-2', when: 'on_success' });
    assert.deepEqual(document.nodes.find((n) => n.id === 'test-2')?.position, { x: 340, y: 40 });
  });

  it('moves steps to whole-pixel positions', function () {
    const next = moveNodes(deploy(), new Map([['notify', { x: 10.4, y: 99.6 }]]));
    assert.deepEqual(next.nodes[3].position, { x: 10, y: 100 });
  });

  it('lays steps out left to right by their order in the run, none overlapping', function () {
    const positions = autoLayout(deploy());
    const x = (id: string) => positions.get(id)?.x as number;
    assert.ok(x('build') < x('test') && x('test') < x('deploy'), JSON.stringify([...positions]));
    const [deployAt, notifyAt] = [positions.get('deploy'), positions.get('notify')] as { y: number }[];
    assert.ok(Math.abs(deployAt.y - notifyAt.y) >= NODE_SIZE.height, 'deploy and notify overlap');
  });
});

describe('workflow builder: the file', function () {
  it('writes a stable text: known keys first in one order, unknown keys kept, a final newline', function () {
    const text = formatWorkflow({
      edges: [{ when: 'always', to: 'b', from: 'a' }],
      nodes: [{ position: { y: 2, x: 1 }, target: 'local', id: 'a', script: { content: 'true\n', runtime: 'bash' }, retries: 2 }, { id: 'b', event: 'x' }],
      name: 'w',
      owner: 'ops',
    } as WorkflowDocument);
    const parsed = JSON.parse(text);
    assert.deepEqual(Object.keys(parsed), ['name', 'nodes', 'edges', 'owner']);
    assert.deepEqual(Object.keys(parsed.nodes[0]), ['id', 'script', 'target', 'position', 'retries']);
    assert.deepEqual(Object.keys(parsed.nodes[0].script), ['runtime', 'content']);
    assert.deepEqual(Object.keys(parsed.edges[0]), ['from', 'to', 'when']);
    assert.ok(text.endsWith('}\n'));
  });

  it('round-trips its own text exactly, so saving an unchanged workflow changes nothing', function () {
    const text = formatWorkflow(deploy());
    const parsed = parseWorkflow(text);
    assert.equal(parsed.ok, true);
    assert.equal(formatWorkflow((parsed as { document: WorkflowDocument }).document), text);
  });

  it('says where a file it cannot draw goes wrong', function () {
    assert.deepEqual(parseWorkflow('{"name": "w", "nodes": [{"id": "a"}], "edges": [{"from": "a", "to": "b", "when": "sometimes"}]}'), {
      ok: false,
      reasons: ['edges.0.when: Invalid option: expected one of "always"|"on_success"|"on_failure"|"on_condition"'],
    });
    const broken = parseWorkflow('{"name": ');
    assert.equal(broken.ok, false);
    assert.match((broken as { reasons: string[] }).reasons[0], /^The file is not valid JSON/);
  });
});

describe('workflow builder and engine: one file format', function () {
  it('writes a workflow exactly as the engine exports it, whatever order its keys came in', function () {
    const scrambled = {
      edges: [{ when: 'on_failure', to: 'notify', from: 'build' }],
      triggers: { webhook: { secretVariable: 'HOOK', key: 'abcdefgh12' }, schedule: { timezone: 'UTC', cron: '0 9 * * *' } },
      nodes: [
        { position: { y: 5, x: 3 }, timeoutMs: 60000, target: 'local', script: { content: 'make\n', runtime: 'bash' }, name: 'Build', id: 'build' },
        { http: { url: 'https://example.com/hook', body: '{}', method: 'POST', headers: { 'x-a': '1' } }, id: 'notify' },
      ],
      concurrency: 2,
      overlap: 'skip',
      description: 'ships it',
      name: 'deploy',
    };
    assert.equal(formatWorkflow(scrambled as unknown as WorkflowDocument), engineFormat(scrambled as unknown as EngineDocument));
  });
});

describe('workflow builder: the engine\'s problems and runs on the canvas', function () {
  it('puts an edge issue on its edge, a cycle on each of its steps and edges, the rest on the steps named or the file', function () {
    const problems = toBuilderProblems([
      { severity: 'warning', code: 'condition_never_set', message: 'never fires', nodes: ['a', 'b'] },
      { severity: 'error', code: 'cycle', message: 'cycle: a → b → a', nodes: ['a', 'b'] },
      { severity: 'error', code: 'unknown_event', message: 'no event named x', nodes: ['c'] },
      { severity: 'error', code: 'no_start', message: 'no start node', nodes: [] },
    ]);
    assert.deepEqual(
      problems.map((p) => [p.nodeId ?? p.edgeId ?? 'file', p.severity]),
      [['a->b', 'warning'], ['a', 'error'], ['a->b', 'error'], ['b', 'error'], ['b->a', 'error'], ['c', 'error'], ['file', 'error']],
    );
  });

  it('finds where a step is defined in the file, for the Problems panel', function () {
    assert.deepEqual(nodeLocation('{\n  "nodes": [\n    { "id": "build" }\n  ]\n}\n', 'build'), { line: 2, column: 6, length: 13 });
    assert.equal(nodeLocation('{}', 'build'), undefined);
  });

  it('colours steps by their run and says which edges fired by the source step\'s outcome', function () {
    const step = (id: string, status: WorkflowStepDto['status'], condition: boolean | null = null): WorkflowStepDto => ({
      id, status, attempt: 1, jobId: null, input: null, output: null, condition, startedAt: null, finishedAt: null, durationMs: null, reason: null,
    });
    const run = { steps: [step('build', 'failed'), step('test', 'skipped'), step('notify', 'running'), step('check', 'succeeded', true)] } as WorkflowRunDto;
    assert.deepEqual([...stepStates(run, null)], [['build', 'failed'], ['test', 'skipped'], ['notify', 'running'], ['check', 'succeeded']]);
    const fired = firedEdges(
      [
        { from: 'build', to: 'test', when: 'on_success' },
        { from: 'build', to: 'notify', when: 'on_failure' },
        { from: 'check', to: 'build', when: 'on_condition' },
        { from: 'test', to: 'check', when: 'always' },
        { from: 'notify', to: 'check', when: 'always' },
      ],
      run,
      null,
    );
    assert.deepEqual([...fired], [['build->test', false], ['build->notify', true], ['check->build', true], ['test->check', false]]);
  });
});
