import '@vscode/codicons/dist/codicon.css';
import '@xyflow/react/dist/style.css';
import './builder.css';
import { ReactFlowProvider } from '@xyflow/react';
import { createRoot } from 'react-dom/client';
import { Builder, type HostApi } from './Builder';

declare function acquireVsCodeApi(): HostApi;

performance.mark('cronium:builder-script');

const root = document.getElementById('root');
if (root !== null) {
  createRoot(root).render(
    <ReactFlowProvider>
      <Builder host={acquireVsCodeApi()} />
    </ReactFlowProvider>,
  );
}
