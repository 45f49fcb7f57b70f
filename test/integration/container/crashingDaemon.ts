// A stand-in for a daemon that dies mid-job: run as a child process by recovery.test.ts, it starts one
// container job and reports every output chunk to its parent, which kills it with SIGKILL.
//   argv[2]: JSON {daemonId, spec}
//   stdout:  one JSON line per event: {"started": containerId} | {"stream": "stdout"|"stderr", "b64": …}
//            | {"request": path} (its runtime API never answers: the request is in flight when it dies)
import type { ExecutionSpec } from '../../../daemon/executors/executor';
import { ContainerExecutor, defaultImages } from '../../../daemon/executors/container/containerExecutor';

const { daemonId, spec } = JSON.parse(process.argv[2]) as { daemonId: string; spec: ExecutionSpec };
const send = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);
const executor = new ContainerExecutor({
  images: defaultImages(),
  daemonId,
  runtimeApi: (request) => {
    send({ request: request.path });
    return new Promise(() => undefined);
  },
});
executor.start(spec, {
  onStarted: (info) => send({ started: info.containerId }),
  onOutput: (stream, chunk) => send({ stream, b64: chunk.toString('base64') }),
});
