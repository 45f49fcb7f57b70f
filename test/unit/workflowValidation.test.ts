import assert from 'node:assert/strict';
import type { WorkflowDocument, WorkflowEdge, WorkflowNode } from '../../daemon/protocol/workflows';
import { parseWorkflow } from '../../daemon/workflows/model';
import { validateWorkflow } from '../../daemon/workflows/validate';

const script = (id: string, content = 'true'): WorkflowNode => ({ id, script: { runtime: 'bash', content } });
const edge = (from: string, to: string, when: WorkflowEdge['when'] = 'always'): WorkflowEdge => ({ from, to, when });
const doc = (nodes: WorkflowNode[], edges: WorkflowEdge[]): WorkflowDocument => ({ name: 'w', nodes, edges });
const events: Record<string, string | null> = { 'notify-team': 'cronium_set_condition true', 'from-file': null, quiet: 'echo hi' };
const check = (document: WorkflowDocument) => validateWorkflow(document, { eventScript: (name) => events[name] });
const messages = (issues: { message: string }[]) => issues.map((i) => i.message);

describe('workflow validation', function () {
  it('accepts a chain, a fan-out and a fan-in', function () {
    const result = check(doc([script('a'), script('b'), script('c'), script('d')], [edge('a', 'b'), edge('a', 'c'), edge('b', 'd'), edge('c', 'd')]));
    assert.deepEqual(result, { errors: [], warnings: [] });
  });

  it('reports a cycle with its path', function () {
    const { errors } = check(doc([script('start'), script('a'), script('b'), script('c')], [edge('start', 'a'), edge('a', 'b'), edge('b', 'c'), edge('c', 'a')]));
    assert.deepEqual(messages(errors), ['cycle: a → b → c → a']);
    assert.deepEqual(errors[0].nodes, ['a', 'b', 'c']);
  });

  it('reports dangling edges by their number and the missing node', function () {
    const { errors } = check(doc([script('a')], [edge('a', 'ghost'), edge('nobody', 'a')]));
    assert.deepEqual(messages(errors), ['edge 1 (a → ghost): no node "ghost"', 'edge 2 (nobody → a): no node "nobody"']);
    assert.deepEqual(errors[0].nodes, ['a']);
  });

  it('reports a self-loop', function () {
    const { errors } = check(doc([script('a'), script('b')], [edge('a', 'b'), edge('b', 'b')]));
    assert.deepEqual(messages(errors), ['edge 2 (b → b): node b cannot follow itself']);
  });

  it('reports duplicate edges between the same two nodes', function () {
    const { errors } = check(doc([script('a'), script('b')], [edge('a', 'b', 'on_success'), edge('a', 'b', 'on_failure')]));
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'duplicate_edge');
    assert.deepEqual(errors[0].nodes, ['a', 'b']);
  });

  it('reports duplicate node ids', function () {
    const { errors } = check(doc([script('a'), script('a')], []));
    assert.deepEqual(messages(errors), ['node id a is used by more than one node']);
  });

  it('reports unknown events by node', function () {
    const { errors } = check(doc([{ id: 'tell', event: 'nobody-knows' }, { id: 'ok', event: 'quiet' }], []));
    assert.deepEqual(messages(errors), ['node tell: no event named nobody-knows']);
  });

  it('reports no start node when every node has an incoming edge', function () {
    const { errors } = check(doc([script('a'), script('b')], [edge('a', 'b'), edge('b', 'a')]));
    assert.deepEqual(errors.map((e) => e.code).sort(), ['cycle', 'no_start']);
  });

  it('reports nodes that only a cycle reaches as unreachable', function () {
    const { errors } = check(doc([script('start'), script('a'), script('b'), script('c')], [edge('a', 'b'), edge('b', 'a'), edge('b', 'c')]));
    const unreachable = errors.find((e) => e.code === 'unreachable');
    assert.deepEqual(unreachable?.nodes, ['a', 'b', 'c']);
    assert.equal(unreachable?.message, 'no start node reaches a, b, c');
  });

  it('warns about an on_condition edge from a node that can never set a condition', function () {
    const nodes: WorkflowNode[] = [
      script('plain', 'echo hi'),
      script('sets', 'cronium_set_condition true'),
      { id: 'req', http: { url: 'https://example.com' } },
      { id: 'ev', event: 'notify-team' },
      { id: 'file', event: 'from-file' },
      { id: 'quiet', event: 'quiet' },
      script('sink'),
    ];
    const edges = ['plain', 'sets', 'req', 'ev', 'file', 'quiet'].map((id) => edge(id, 'sink', 'on_condition'));
    const { errors, warnings } = check(doc(nodes, edges));
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings.map((w) => w.nodes[0]), ['plain', 'req', 'quiet']);
    assert.match(warnings[0].message, /plain never calls setCondition: the edge will never fire/);
  });
});

describe('workflow file format', function () {
  it('names the node and the field of a format error', function () {
    const parsed = parseWorkflow({ name: 'x', nodes: [{ id: 'build', script: { runtime: 'perl', content: '' } }], edges: [] });
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.equal(parsed.issues[0].path, 'nodes.0.script.runtime');
    assert.match(parsed.issues[0].message, /^node build: script\.runtime: /);
    assert.deepEqual(parsed.issues[0].nodes, ['build']);
  });

  it('refuses a node that names both a script and an event, and unknown keys', function () {
    const parsed = parseWorkflow({ name: 'x', nodes: [{ id: 'a', script: { runtime: 'bash', content: '' }, event: 'e' }], edges: [], extra: 1 });
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    const all = parsed.issues.map((i) => i.message).join('\n');
    assert.match(all, /node a: give exactly one of script, event and http/);
    assert.match(all, /extra/);
  });

  it('refuses an edge condition it does not know', function () {
    const parsed = parseWorkflow({ name: 'x', nodes: [{ id: 'a', event: 'e' }], edges: [{ from: 'a', to: 'a', when: 'sometimes' }] });
    assert.equal(parsed.ok, false);
  });
});
