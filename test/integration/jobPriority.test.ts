import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { UpdateSettingsRequest } from '../../daemon/protocol/settings';
import { DaemonProcess, runToEnd } from '../helpers/daemonProcess';
import { makeTempHome, removeHome } from '../helpers/tempHome';

/**
 * Prints the job's niceness (field 19 of /proc/self/stat) and its session's autogroup line. The job is
 * lowered right after it starts (the spawner, or the daemon for a forked job, sets it once it has the
 * pid): its first milliseconds may still run at the daemon's priority, hence the short wait.
 */
const SHOW_PRIORITY = 'sleep 0.2; read -r stat < /proc/$$/stat; set -- ${stat##*) }; echo "nice ${17}"; cat /proc/$$/autogroup 2>/dev/null || echo "no autogroup"\n';
const AUTOGROUPS = (() => {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
})();

for (const mode of ['spawner', 'fork'] as const) {
  describe(`host jobs run below the daemon's CPU priority (${mode === 'spawner' ? 'through the spawner' : 'CRONIUM_SPAWNER=off'})`, function () {
    let home: string;
    let daemon: DaemonProcess;

    before(async function () {
      home = makeTempHome();
      daemon = await DaemonProcess.start(home, mode === 'fork' ? { CRONIUM_SPAWNER: 'off' } : {});
    });

    after(async function () {
      await daemon?.stop();
      if (home) removeHome(home);
    });

    it('runs a job at niceness 19 by default, its session autogroup too', async function () {
      const client = await daemon.connect();
      try {
        const { job, stdout } = await runToEnd(client, { content: SHOW_PRIORITY, runtime: 'bash' });
        assert.equal(job.status, 'succeeded');
        const [nice, autogroup] = stdout.trim().split('\n');
        assert.equal(nice, 'nice 19');
        if (AUTOGROUPS) assert.match(autogroup, /^\/autogroup-\d+ nice 19$/);
      } finally {
        client.close();
      }
    });

    it('runs a job at the daemon\'s own priority when jobNice is 0', async function () {
      const client = await daemon.connect();
      try {
        await client.connection.sendRequest(UpdateSettingsRequest, { jobNice: 0 });
        const { stdout } = await runToEnd(client, { content: SHOW_PRIORITY, runtime: 'bash' });
        assert.equal(stdout.trim().split('\n')[0], `nice ${readFileSync(`/proc/${daemon.pid}/stat`, 'utf8').split(') ')[1].split(' ')[16]}`);
      } finally {
        await client.connection.sendRequest(UpdateSettingsRequest, { jobNice: 19 });
        client.close();
      }
    });
  });
}
