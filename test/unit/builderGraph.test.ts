import { strict as assert } from 'node:assert';
import { autoLayout, NODE_SIZE } from '../../webviews/builder/autoLayout';
import { addNode, connect, copy, edgeId, moveNodes, paste, remove, setCondition } from '../../webviews/builder/graphEdits';
import { formatWorkflow, parseWorkflow, type WorkflowDocument } from '../../webviews/builder/workflowDocument';

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
