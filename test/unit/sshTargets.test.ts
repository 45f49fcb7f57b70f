import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../daemon/executors/ssh/circuitBreaker';
import { hostKeyOf, isFingerprint } from '../../daemon/executors/ssh/hostKey';
import { bootstrapCommand, setupScript, shellQuote, signalCommand } from '../../daemon/executors/ssh/remoteScript';
import { knownKeysFor } from '../../daemon/servers/knownHosts';

describe('SSH host keys', () => {
  // `ssh-keygen -lf` of this key printed: 256 SHA256:tADesZmtsEVosiW6iCreBeEuiV1+UJgQyh+zFQCxjBU test (ED25519)
  const blob = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIIOJMCRxppCAoJssqpDXOHxLk4o3+Uf2dVTPCAbnIRmw', 'base64');

  it('fingerprints a key as OpenSSH prints it, with its type', () => {
    assert.deepEqual(hostKeyOf(blob), { type: 'ssh-ed25519', fingerprint: 'SHA256:tADesZmtsEVosiW6iCreBeEuiV1+UJgQyh+zFQCxjBU' });
  });

  it('tells a SHA256 fingerprint from other text', () => {
    assert.ok(isFingerprint('SHA256:tADesZmtsEVosiW6iCreBeEuiV1+UJgQyh+zFQCxjBU'));
    assert.ok(!isFingerprint('SHA256:tADesZmtsEVosiW6iCreBeEuiV1+UJgQyh+zFQCxjBU='));
    assert.ok(!isFingerprint('MD5:aa:bb'));
  });
});

describe('SSH circuit breaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker(() => 60_000, () => now);

  it('opens after 5 failures in a row and refuses attempts until the reset time', () => {
    now = 0;
    const b = breaker();
    for (let i = 0; i < 4; i++) b.failed();
    assert.equal(b.state, 'closed');
    b.failed();
    assert.equal(b.state, 'open');
    assert.equal(b.tryAcquire(), false);
    assert.equal(b.retryAt, 60_000);
  });

  it('lets one attempt through when half-open: success closes it, failure opens it again', () => {
    now = 0;
    const b = breaker();
    for (let i = 0; i < 5; i++) b.failed();
    now = 60_000;
    assert.equal(b.state, 'half_open');
    assert.equal(b.tryAcquire(), true);
    assert.equal(b.tryAcquire(), false, 'one probe at a time');
    b.failed();
    assert.equal(b.state, 'open');
    now = 120_000;
    assert.equal(b.tryAcquire(), true);
    b.succeeded();
    assert.equal(b.state, 'closed');
    assert.equal(b.consecutiveFailures, 0);
  });

  it('a success resets the count of failures in a row', () => {
    now = 0;
    const b = breaker();
    for (let i = 0; i < 4; i++) b.failed();
    b.succeeded();
    for (let i = 0; i < 4; i++) b.failed();
    assert.equal(b.state, 'closed');
  });
});

describe('SSH remote script', () => {
  it('quotes a value as one sh word, keeping quotes, $() and newlines', () => {
    assert.equal(shellQuote(`it's $(x)\n`), `'it'\\''s $(x)\n'`);
    assert.equal(shellQuote(''), `''`);
  });

  it('exports the environment quoted, the script written exactly, and launches in its own group', () => {
    const setup = setupScript({
      executionId: 'exe_abc123',
      runtime: 'python',
      script: 'print(1)',
      scriptName: 'job.py',
      env: { A: "x' ; rm -rf /" },
      helper: { name: 'cronium.py', content: '# helper' },
      interpreter: 'python3',
    });
    assert.ok(setup.includes(`printf '%s' 'print(1)' > script.py\n`));
    const envFile = `export A='x'\\'' ; rm -rf /'\nexport PYTHONUNBUFFERED=1\n`;
    assert.ok(setup.includes(`printf '%s' ${shellQuote(envFile)} > env.sh\n`));
    assert.ok(setup.includes(`exec setsid 'python3' "$D"/cronium.py "$D"/script.py`));
    assert.ok(setup.includes(') </dev/null >"$D/o" 2>"$D/e" &'));
  });

  it('refuses environment names that are not shell names', () => {
    assert.throws(() =>
      setupScript({ executionId: 'exe_a', runtime: 'bash', script: '', scriptName: null, env: { 'A;B': '1' }, helper: { name: 'cronium.sh', content: '' }, interpreter: 'bash' }),
    );
  });

  it('names the job folder from the execution id only, inside one sh -c word', () => {
    assert.equal(bootstrapCommand('exe_abc123'), `sh -c 'umask 077 && d="\${TMPDIR:-/tmp}/cronium-exe_abc123" && mkdir -m 700 "$d" && cd "$d" && . /dev/stdin'`);
    assert.throws(() => bootstrapCommand("exe_a'; rm -rf ~"));
    assert.match(signalCommand('exe_abc123', 'TERM'), /kill -TERM -"\$p"/);
  });
});

describe('known_hosts', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIOJMCRxppCAoJssqpDXOHxLk4o3+Uf2dVTPCAbnIRmw';
  const fingerprint = 'SHA256:tADesZmtsEVosiW6iCreBeEuiV1+UJgQyh+zFQCxjBU';

  it('finds a key by [host]:port off port 22, and by host on 22, in lists and patterns', () => {
    const text = `# comment\n[127.0.0.1]:2222 ${key}\nbuild,build.example.com ${key}\n*.lan,!bad.lan ${key}\n`;
    assert.deepEqual(knownKeysFor(text, '127.0.0.1', 2222), [{ type: 'ssh-ed25519', fingerprint }]);
    assert.deepEqual(knownKeysFor(text, '127.0.0.1', 22), []);
    assert.equal(knownKeysFor(text, 'build.example.com', 22).length, 1);
    assert.equal(knownKeysFor(text, 'box.lan', 22).length, 1);
    assert.equal(knownKeysFor(text, 'bad.lan', 22).length, 0, 'a negated pattern excludes the line');
  });

  it('matches names hashed by ssh-keygen -H, and never trusts @revoked lines', () => {
    // `ssh-keygen -H` of "[127.0.0.1]:2222 KEY" and "other.example KEY".
    const text = [
      `|1|9mA3cfc/M8lAMnvIq6SXsCdzyQk=|8NO5X78zQJkZryW9RkhQlLp5Miw= ${key}`,
      `|1|+Lc5lLdfuHMniT/mDyq7sbA3RLQ=|Dg8PcqDZUn7sRU+7yZL1rH1F57A= ${key}`,
      `@revoked evil.example ${key}`,
    ].join('\n');
    assert.deepEqual(knownKeysFor(text, '127.0.0.1', 2222), [{ type: 'ssh-ed25519', fingerprint }]);
    assert.equal(knownKeysFor(text, 'other.example', 22).length, 1);
    assert.equal(knownKeysFor(text, 'evil.example', 22).length, 0);
    assert.equal(knownKeysFor(text, '127.0.0.1', 2223).length, 0);
  });
});
