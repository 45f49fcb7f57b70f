import { DaemonProcess } from './daemonProcess';

/** Mocha root hooks: whatever a failing test left running is stopped before mocha exits. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await DaemonProcess.stopAll();
  },
};
