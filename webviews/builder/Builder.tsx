import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type OnDelete,
  type Viewport,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent, type MouseEvent } from 'react';
import type { DryRunResult, WorkflowRunDto } from '../../daemon/protocol/workflows';
import type { BuilderProblem, DryRunChoice, HostMessage, PaletteEvent, WebviewMessage } from '../protocol/builder';
import { isHostMessage } from '../protocol/builder';
import { autoLayout } from './autoLayout';
import { ConditionEdge, type ConditionFlowEdge } from './ConditionEdge';
import { DetailsPanel } from './DetailsPanel';
import { HistoryPanel } from './HistoryPanel';
import { RunBar } from './RunBar';
import { firedEdges, stepStates } from './runView';
import { toFlowEdges, toFlowNodes } from './flowMapping';
import { addNode, connect, copy, moveNodes, paste, remove, setCondition, type Clipboard } from './graphEdits';
import { Palette, PALETTE_MIME, type PaletteItem } from './Palette';
import { StepNode, type StepFlowNode } from './StepNode';
import { CONDITION_LABELS, CONDITIONS, formatWorkflow, parseWorkflow, type Condition, type Parsed, type WorkflowDocument, type WorkflowNode } from './workflowDocument';

/** The part of VS Code's webview API the builder uses (acquireVsCodeApi()). */
export interface HostApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

interface SavedState {
  viewport?: Viewport;
}

const nodeTypes = { step: StepNode };
const edgeTypes = { condition: ConditionEdge };
const REFUSAL_MS = 6000;
const KEY_MOVE_REST_MS = 400;
const FIRST_VIEWPORT: Viewport = { x: 0, y: 0, zoom: 0.25 };

const NEW_SCRIPT: Record<'bash' | 'python' | 'node', string> = {
  bash: 'echo "hello from $CRONIUM_JOB_ID"\n',
  python: 'print("hello")\n',
  node: 'console.log("hello");\n',
};

function newStep(item: PaletteItem, position: { x: number; y: number }): WorkflowNode {
  if (item.kind === 'event') return { id: item.event, event: item.event, position };
  if (item.kind === 'http') return { id: 'request', http: { method: 'GET', url: 'https://example.com/' }, target: 'local', position };
  return { id: `${item.runtime}-step`, script: { runtime: item.runtime, content: NEW_SCRIPT[item.runtime] }, target: 'local', position };
}

/** VS Code marks the webview's body with its theme kind; React Flow's own colours follow it, not the OS. */
function themeMode(): 'light' | 'dark' {
  const classes = document.body.classList;
  return classes.contains('vscode-light') || classes.contains('vscode-high-contrast-light') ? 'light' : 'dark';
}

function useThemeMode(): 'light' | 'dark' {
  const [mode, setMode] = useState(themeMode);
  useEffect(() => {
    const observer = new MutationObserver(() => setMode(themeMode()));
    observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    return () => observer.disconnect();
  }, []);
  return mode;
}

/** The file's text as the page was made with it (the host sends it again on `ready`, as a check). */
function initialText(): string | undefined {
  const element = document.getElementById('initial-document');
  if (element?.textContent == null) return undefined;
  try {
    const value: unknown = JSON.parse(element.textContent);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

const selectedOf = (items: readonly { id: string; selected?: boolean }[]) => new Set(items.filter((i) => i.selected).map((i) => i.id));

export function Builder({ host }: { host: HostApi }) {
  const flow = useReactFlow<StepFlowNode, ConditionFlowEdge>();
  const mode = useThemeMode();
  const text = useRef<string | undefined>(undefined);
  const [parsed, setParsed] = useState<Parsed | undefined>(() => {
    const initial = initialText();
    if (initial === undefined) return undefined;
    text.current = initial;
    return parseWorkflow(initial);
  });
  const [problems, setProblems] = useState<BuilderProblem[]>([]);
  const [events, setEvents] = useState<PaletteEvent[]>([]);
  const [nodes, setNodes] = useState<StepFlowNode[]>([]);
  const [edges, setEdges] = useState<ConditionFlowEdge[]>([]);
  const [refusal, setRefusal] = useState<string | undefined>();
  const [run, setRun] = useState<WorkflowRunDto | null>(null);
  const [dryRun, setDryRun] = useState<DryRunResult | null>(null);
  const [history, setHistory] = useState<WorkflowRunDto[] | undefined>();
  const [historyOpen, setHistoryOpen] = useState(false);
  const [choices, setChoices] = useState<Record<string, DryRunChoice>>({});
  const [popover, setPopover] = useState<{ edgeId: string; x: number; y: number } | undefined>();
  /** Texts sent to the host whose echo has not come back: an echo of an older edit must not undo a newer one. */
  const pending = useRef<string[]>([]);
  const clipboard = useRef<Clipboard | undefined>(undefined);
  const saved = useMemo(() => (host.getState() ?? {}) as SavedState, [host]);
  const document = parsed?.ok === true ? parsed.document : undefined;
  const latest = useRef<WorkflowDocument | undefined>(undefined);
  latest.current = document;

  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      const message: unknown = e.data;
      if (!isHostMessage(message)) return;
      receive(message);
    };
    const receive = (message: HostMessage) => {
      switch (message.type) {
        case 'document': {
          const echo = pending.current.indexOf(message.text);
          if (echo >= 0) {
            pending.current.splice(0, echo + 1);
            return;
          }
          pending.current = [];
          if (message.text === text.current) return;
          text.current = message.text;
          setRefusal(undefined);
          performance.mark('cronium:builder-document');
          setParsed(parseWorkflow(message.text));
          performance.mark('cronium:builder-parsed');
          return;
        }
        case 'events':
          setEvents(message.events);
          return;
        case 'problems':
          setProblems(message.problems);
          return;
        case 'run':
          setRun(message.run);
          return;
        case 'dryRun':
          setDryRun(message.result);
          return;
        case 'history':
          setHistory(message.runs);
          return;
        case 'failure':
          setRefusal(message.message);
      }
    };
    window.addEventListener('message', onMessage);
    host.postMessage({ type: 'ready' });
    return () => window.removeEventListener('message', onMessage);
  }, [host]);

  useEffect(() => {
    if (document === undefined) return;
    setNodes((previous) => toFlowNodes(document, problems, stepStates(run, dryRun), previous));
    setEdges((previous) => toFlowEdges(document, problems, selectedOf(previous), firedEdges(document.edges, run, dryRun)));
  }, [document, problems, run, dryRun]);

  useEffect(() => {
    if (refusal === undefined) return;
    const timer = setTimeout(() => setRefusal(undefined), REFUSAL_MS);
    return () => clearTimeout(timer);
  }, [refusal]);

  /** Writes the next document to the file (one undo step in VS Code) and shows it at once. */
  const commit = useCallback(
    (next: WorkflowDocument, label: string) => {
      const nextText = formatWorkflow(next);
      if (nextText === text.current) return;
      text.current = nextText;
      pending.current.push(nextText);
      setRefusal(undefined);
      setParsed({ ok: true, document: next });
      host.postMessage({ type: 'edit', text: nextText, label });
    },
    [host],
  );

  /** Steps moved with the arrow keys (no drag): written to the file once the keys rest. */
  const keyMoves = useRef(new Map<string, { x: number; y: number }>());
  const keyMoveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const onNodesChange = useCallback(
    (changes: NodeChange<StepFlowNode>[]) => {
      // Removal goes through onDelete, as an edit of the file; the canvas follows the file.
      setNodes((current) => applyNodeChanges(changes.filter((c) => c.type !== 'remove'), current));
      // Arrow keys move selected steps with `dragging: false` (a mouse drag ends with one such change too;
      // writing the same positions again changes no text, so it is not a second edit).
      const moved = changes.filter((c) => c.type === 'position' && c.dragging === false && c.position !== undefined);
      if (moved.length === 0) return;
      for (const c of moved) if (c.type === 'position' && c.position) keyMoves.current.set(c.id, c.position);
      clearTimeout(keyMoveTimer.current);
      keyMoveTimer.current = setTimeout(() => {
        const positions = new Map(keyMoves.current);
        keyMoves.current.clear();
        // The document as it is when the keys rest, not as it was at the first key: nothing since is lost.
        if (latest.current !== undefined) commit(moveNodes(latest.current, positions), 'Move Step');
      }, KEY_MOVE_REST_MS);
    },
    [commit],
  );
  const onEdgesChange = useCallback((changes: EdgeChange<ConditionFlowEdge>[]) => {
    setEdges((current) => applyEdgeChanges(changes.filter((c) => c.type !== 'remove'), current));
  }, []);

  const onNodeDragStop = useCallback(
    (_: unknown, __: StepFlowNode, dragged: StepFlowNode[]) => {
      if (document === undefined) return;
      commit(moveNodes(document, new Map(dragged.map((n) => [n.id, n.position]))), dragged.length === 1 ? 'Move Step' : 'Move Steps');
    },
    [document, commit],
  );

  const onConnect = useCallback(
    (connection: Connection) => {
      if (document === undefined) return;
      const result = connect(document, connection.source, connection.target);
      if (result.ok) commit(result.document, 'Connect Steps');
      else setRefusal(result.reason);
    },
    [document, commit],
  );

  const onDelete: OnDelete<StepFlowNode, ConditionFlowEdge> = useCallback(
    ({ nodes: gone, edges: goneEdges }) => {
      if (document === undefined) return;
      commit(remove(document, new Set(gone.map((n) => n.id)), new Set(goneEdges.map((e) => e.id))), 'Delete');
    },
    [document, commit],
  );

  const add = useCallback(
    (item: PaletteItem, position?: { x: number; y: number }) => {
      if (document === undefined) return;
      const at = position ?? flow.screenToFlowPosition({ x: window.innerWidth / 2, y: window.innerHeight / 2 });
      const { document: next, id } = addNode(document, newStep(item, at));
      setNodes((current) => current.map((n) => ({ ...n, selected: false })));
      commit(next, 'Add Step');
      setNodes((current) => current.map((n) => ({ ...n, selected: n.id === id })));
    },
    [document, commit, flow],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      const raw = e.dataTransfer.getData(PALETTE_MIME);
      if (raw === '') return;
      e.preventDefault();
      add(JSON.parse(raw) as PaletteItem, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
    },
    [add, flow],
  );

  const onKeyDown = useCallback(
    (e: KeyboardEvent) => {
      if (document === undefined || (e.target as HTMLElement).closest('input, textarea, vscode-textfield') !== null) return;
      const mod = e.ctrlKey || e.metaKey;
      const selected = selectedOf(nodes);
      if (mod && e.key === 'c' && selected.size > 0) {
        clipboard.current = copy(document, selected);
      } else if (mod && e.key === 'v' && clipboard.current !== undefined) {
        const { document: next, ids } = paste(document, clipboard.current);
        commit(next, 'Paste Steps');
        const pasted = new Set(ids);
        setNodes((current) => current.map((n) => ({ ...n, selected: pasted.has(n.id) })));
      } else if (!mod && (e.key === '+' || e.key === '=')) {
        void flow.zoomIn();
      } else if (!mod && e.key === '-') {
        void flow.zoomOut();
      } else if (e.key === 'Escape') {
        setPopover(undefined);
      } else if (e.key === 'Enter' && selected.size === 1) {
        const [id] = selected;
        if (document.nodes.find((n) => n.id === id)?.script !== undefined) host.postMessage({ type: 'openScript', nodeId: id });
      } else {
        return;
      }
      e.preventDefault();
    },
    [document, nodes, commit, flow, host],
  );

  const onEdgeLabel = useCallback((e: MouseEvent) => {
    const id = (e.target as HTMLElement).closest('[data-edge]')?.getAttribute('data-edge');
    if (id) setPopover({ edgeId: id, x: e.clientX, y: e.clientY });
  }, []);

  const chooseCondition = (when: Condition) => {
    if (document !== undefined && popover !== undefined) commit(setCondition(document, popover.edgeId, when), 'Change Condition');
    setPopover(undefined);
  };

  const layout = () => {
    if (document === undefined) return;
    commit(moveNodes(document, autoLayout(document)), 'Auto Layout');
    window.requestAnimationFrame(() => void flow.fitView({ padding: 0.1 }));
  };

  const send = (message: WebviewMessage) => host.postMessage(message);
  const toggleHistory = () => {
    if (!historyOpen) send({ type: 'history' });
    setHistoryOpen(!historyOpen);
  };

  if (parsed === undefined) return <div className="loading">Reading the workflow…</div>;
  if (!parsed.ok) {
    return (
      <div className="unreadable" role="alert">
        <h2>This file is not a workflow the builder can draw</h2>
        <ul>
          {parsed.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
        <button type="button" onClick={() => host.postMessage({ type: 'openAsText' })}>
          Open as Text
        </button>
      </div>
    );
  }

  const details = nodes.filter((n) => n.selected);
  const detailNode = details.length === 1 ? parsed.document.nodes.find((n) => n.id === details[0].id) : undefined;
  const fileProblems = problems.filter((p) => p.nodeId === undefined && p.edgeId === undefined);

  return (
    <div className="builder" onKeyDown={onKeyDown} onClickCapture={onEdgeLabel}>
      <Palette events={events} onAdd={(item) => add(item)} />
      <main className="canvas" onDrop={onDrop} onDragOver={(e) => e.preventDefault()} aria-label={`Workflow ${parsed.document.name}`}>
        <div className="toolbar">
          <strong className="workflow-name">{parsed.document.name}</strong>
          <span className="counts">
            {parsed.document.nodes.length} steps · {parsed.document.edges.length} edges
          </span>
          <button type="button" onClick={layout} title="Arrange the steps left to right">
            <span className="codicon codicon-type-hierarchy-sub" aria-hidden="true" /> Auto Layout
          </button>
          <button type="button" onClick={() => send({ type: 'openTextBeside' })} title="Open the file as text beside the builder: edits in either show in both">
            <span className="codicon codicon-json" aria-hidden="true" /> Text Beside
          </button>
          <RunBar
            run={run}
            dryRunShown={dryRun !== null}
            historyOpen={historyOpen}
            onRun={(input) => send({ type: 'run', input })}
            onCancel={(runId) => send({ type: 'cancel', runId })}
            onResume={(runId) => send({ type: 'resume', runId })}
            onDryRun={() => send({ type: 'dryRun', outcomes: choices })}
            onClear={() => send({ type: 'clearRun' })}
            onToggleHistory={toggleHistory}
          />
        </div>
        <ReactFlow<StepFlowNode, ConditionFlowEdge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onNodeDragStop={onNodeDragStop}
          onNodeDoubleClick={(_, node) => {
            const jobId = run?.steps.find((s) => s.id === node.id)?.jobId;
            if (jobId) send({ type: 'openLog', jobId });
          }}
          onConnect={onConnect}
          onDelete={onDelete}
          deleteKeyCode={['Delete', 'Backspace']}
          multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
          // Before fitView has measured the steps, start zoomed out: the first drawing of a large workflow
          // then leaves out its edge labels (unreadable at the zoom fitView will pick anyway).
          defaultViewport={saved.viewport ?? FIRST_VIEWPORT}
          fitView={saved.viewport === undefined}
          onMoveEnd={(_, viewport) => host.setState({ ...saved, viewport } satisfies SavedState)}
          colorMode={mode}
          proOptions={{ hideAttribution: true }}
          minZoom={0.1}
          // A mark the e2e trace reads: the canvas is drawn and measured.
          onInit={() => performance.mark('cronium:builder-ready')}
        >
          <Background gap={24} />
          <MiniMap pannable zoomable ariaLabel="Overview of the workflow" />
          <Controls showInteractive={false} />
        </ReactFlow>
        {refusal ? (
          <div className="refusal" role="alert">
            <span className="codicon codicon-error" aria-hidden="true" /> {refusal}
          </div>
        ) : null}
        {fileProblems.length > 0 ? (
          <ul className="file-problems" aria-label="Problems of the workflow">
            {fileProblems.map((p) => (
              <li key={p.message} className={p.severity}>
                {p.message}
              </li>
            ))}
          </ul>
        ) : null}
        {popover ? (
          <div className="popover" role="menu" style={{ left: popover.x, top: popover.y }} aria-label={`Condition of ${popover.edgeId.replace('->', ' → ')}`}>
            {CONDITIONS.map((when) => (
              <button key={when} type="button" role="menuitem" className={`when-${when}`} onClick={() => chooseCondition(when)} autoFocus={parsed.document.edges.find((e) => `${e.from}->${e.to}` === popover.edgeId)?.when === when}>
                {CONDITION_LABELS[when]}
              </button>
            ))}
          </div>
        ) : null}
      </main>
      {historyOpen ? (
        <HistoryPanel runs={history} shown={run?.id} onFilter={(filter) => send({ type: 'history', ...filter })} onOpen={(runId) => send({ type: 'openRun', runId })} />
      ) : null}
      {detailNode ? (
        <DetailsPanel
          step={run?.steps.find((s) => s.id === detailNode.id)}
          choice={choices[detailNode.id]}
          onChoice={(choice) => setChoices({ ...choices, [detailNode.id]: choice })}
          onOpenLog={(jobId) => send({ type: 'openLog', jobId })}
          node={detailNode}
          event={detailNode.event === undefined ? undefined : events.find((e) => e.name === detailNode.event)}
          problems={problems.filter((p) => p.nodeId === detailNode.id).map((p) => p.message)}
          onRename={(name) => commit({ ...parsed.document, nodes: parsed.document.nodes.map((n) => (n.id === detailNode.id ? { ...n, name: name || undefined } : n)) }, 'Rename Step')}
          onTarget={(target) => commit({ ...parsed.document, nodes: parsed.document.nodes.map((n) => (n.id === detailNode.id ? { ...n, target: target || undefined } : n)) }, 'Change Target')}
          onOpenScript={() => host.postMessage({ type: 'openScript', nodeId: detailNode.id })}
        />
      ) : null}
    </div>
  );
}
