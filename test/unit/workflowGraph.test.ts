import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowDocument } from '../../daemon/protocol/workflows';
import { dryRun, edgeFires, WorkflowGraph, type StepState } from '../../daemon/workflows/graph';
import { workflowJsonSchemaText } from '../../daemon/workflows/jsonSchema';
import { formatWorkflow, parseWorkflowText } from '../../daemon/workflows/model';

const s = (status: StepState['status'], condition: boolean | null = null): StepState => ({ status, condition });

describe('workflow edge rules', function () {
  it('decides each condition on the source outcome, and nothing before the source ended', function () {
    const table: [StepState, Record<string, boolean | undefined>][] = [
      [s('succeeded'), { always: true, on_success: true, on_failure: false, on_condition: false }],
      [s('succeeded', true), { always: true, on_success: true, on_failure: false, on_condition: true }],
      [s('failed', false), { always: true, on_success: false, on_failure: true, on_condition: false }],
      [s('timed_out'), { always: true, on_success: false, on_failure: true, on_condition: false }],
      [s('skipped'), { always: false, on_success: false, on_failure: false, on_condition: false }],
      [s('running'), { always: undefined, on_success: undefined, on_failure: undefined, on_condition: undefined }],
    ];
    for (const [state, expected] of table) {
      for (const [when, fires] of Object.entries(expected)) {
        assert.equal(edgeFires(when as never, state), fires, `${when} from ${state.status}/${state.condition}`);
      }
    }
  });

  it('gives a fan-in an object of the predecessors whose edge fired, and a single successor the output itself', function () {
    const graph = new WorkflowGraph({
      name: 'w',
      nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id, event: 'e' })),
      edges: [
        { from: 'a', to: 'c', when: 'always' },
        { from: 'b', to: 'c', when: 'on_success' },
        { from: 'a', to: 'd', when: 'always' },
      ],
    });
    const states: Record<string, StepState> = { a: { ...s('failed'), output: { x: 1 } }, b: { ...s('failed'), output: { y: 2 } } };
    const state = (id: string) => states[id];
    assert.equal(graph.decide('c', state), 'run');
    assert.deepEqual(graph.inputOf('c', state, null), { a: { x: 1 } });
    assert.deepEqual(graph.inputOf('d', state, null), { x: 1 });
    assert.deepEqual(graph.inputOf('a', state, { run: true }), { run: true });
    assert.equal(graph.decide('c', (id) => (id === 'a' ? s('running') : states[id])), 'wait');
  });
});

describe('workflow dry run', function () {
  const document: WorkflowDocument = {
    name: 'deploy',
    nodes: ['build', 'test', 'deploy', 'rollback', 'notify', 'audit'].map((id) => ({ id, event: 'e' })),
    edges: [
      { from: 'build', to: 'test', when: 'on_success' },
      { from: 'test', to: 'deploy', when: 'on_condition' },
      { from: 'deploy', to: 'rollback', when: 'on_failure' },
      { from: 'deploy', to: 'notify', when: 'always' },
      { from: 'build', to: 'notify', when: 'on_failure' },
      { from: 'rollback', to: 'audit', when: 'always' },
    ],
  };
  const ran = (result: ReturnType<typeof dryRun>) => result.steps.filter((st) => st.wouldRun).map((st) => st.id);

  it('runs the success path when every step succeeds (no condition set: on_condition does not fire)', function () {
    const result = dryRun(document);
    assert.deepEqual(ran(result), ['build', 'test']);
    assert.equal(result.steps.find((st) => st.id === 'notify')?.reason, 'no incoming edge fired: deploy was skipped; build succeeded (edge on_failure)');
    assert.equal(result.status, 'succeeded');
  });

  it('follows the condition and a failure to the rollback path', function () {
    const result = dryRun(document, { test: { status: 'succeeded', condition: true }, deploy: { status: 'failed' } });
    assert.deepEqual(ran(result), ['build', 'test', 'deploy', 'rollback', 'notify', 'audit']);
    assert.deepEqual(result.edges.map((e) => e.fires), [true, true, true, true, false, true]);
    assert.equal(result.status, 'partial', 'the failure was handled');
  });

  it('fails when a failure has no edge that fires', function () {
    const result = dryRun(document, { test: { status: 'failed' } });
    assert.deepEqual(ran(result), ['build', 'test']);
    assert.equal(result.status, 'failed');
  });
});

describe('workflow files', function () {
  const source = `{"edges":[{"when":"on_success","to":"b","from":"a"}],"nodes":[{"position":{"y":2,"x":1},"target":"local","script":{"content":"true","runtime":"bash"},"id":"a"},{"event":"e","id":"b"}],"name":"w"}`;

  it('writes keys in a fixed order with 2-space indentation, and reads back to the same bytes', function () {
    const first = parseWorkflowText(source);
    assert.ok(first.ok);
    const text = formatWorkflow(first.document);
    assert.equal(
      text,
      [
        '{',
        '  "name": "w",',
        '  "nodes": [',
        '    {',
        '      "id": "a",',
        '      "script": {',
        '        "runtime": "bash",',
        '        "content": "true"',
        '      },',
        '      "target": "local",',
        '      "position": {',
        '        "x": 1,',
        '        "y": 2',
        '      }',
        '    },',
        '    {',
        '      "id": "b",',
        '      "event": "e"',
        '    }',
        '  ],',
        '  "edges": [',
        '    {',
        '      "from": "a",',
        '      "to": "b",',
        '      "when": "on_success"',
        '    }',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
    const again = parseWorkflowText(text);
    assert.ok(again.ok);
    assert.equal(formatWorkflow(again.document), text, 'round trip exact');
  });

  it('publishes the JSON Schema made from the daemon schema (npm run schema writes it)', function () {
    const published = readFileSync(join(__dirname, '..', '..', 'schemas', 'cronium-workflow.schema.json'), 'utf8');
    assert.equal(published, workflowJsonSchemaText(), 'schemas/cronium-workflow.schema.json is stale: run npm run schema');
  });
});
