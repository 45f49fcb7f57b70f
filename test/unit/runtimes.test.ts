import assert from 'node:assert/strict';
import { detectRuntime, runtimeFromShebang, scriptExtension } from '../../daemon/executors/runtimes';

describe('runtime detection', function () {
  it('prefers the explicit runtime over the shebang and the extension', function () {
    assert.equal(detectRuntime({ explicit: 'node', fileName: 'a.py', content: '#!/bin/bash\n' }), 'node');
  });

  it('prefers the shebang over the extension', function () {
    assert.equal(detectRuntime({ fileName: 'a.sh', content: '#!/usr/bin/env python3\n' }), 'python');
  });

  it('falls back to the extension', function () {
    assert.equal(detectRuntime({ fileName: '/x/a.PY', content: 'print(1)' }), 'python');
    assert.equal(detectRuntime({ fileName: 'a.mjs', content: '' }), 'node');
    assert.equal(detectRuntime({ fileName: 'a.bash', content: '' }), 'bash');
  });

  it('says nothing when nothing tells', function () {
    assert.equal(detectRuntime({ fileName: 'Makefile', content: 'all:\n' }), undefined);
    assert.equal(detectRuntime({ content: 'echo hi' }), undefined);
  });

  it('reads the common shebang forms', function () {
    assert.equal(runtimeFromShebang('#!/bin/bash -e\n'), 'bash');
    assert.equal(runtimeFromShebang('#!/bin/sh'), 'bash');
    assert.equal(runtimeFromShebang('#!/usr/bin/env -S node --no-warnings\n'), 'node');
    assert.equal(runtimeFromShebang('#!/usr/bin/python3.11\n'), 'python');
    assert.equal(runtimeFromShebang('#!/usr/bin/env ruby\n'), undefined);
    assert.equal(runtimeFromShebang('echo no shebang'), undefined);
  });

  it('keeps a fitting extension for the private copy of the script', function () {
    assert.equal(scriptExtension('node', 'x.mjs'), '.mjs');
    assert.equal(scriptExtension('node', 'x.py'), '.js');
    assert.equal(scriptExtension('bash', null), '.sh');
  });
});
