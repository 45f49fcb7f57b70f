import assert from 'node:assert/strict';
import { incompleteUtf8Tail, LineSplitter, type SplitLine } from '../../daemon/logs/lineSplitter';

function split(chunks: (string | Buffer)[], maxLine = 8): { text: string; partial: boolean }[] {
  const splitter = new LineSplitter(maxLine);
  const out: SplitLine[] = [];
  for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk), out);
  splitter.end(out);
  return out.map((l) => ({ text: l.data.toString('latin1'), partial: l.partial }));
}

describe('LineSplitter', function () {
  it('cuts on newlines and drops the newline', function () {
    assert.deepEqual(split(['a\nbb\n']), [
      { text: 'a', partial: false },
      { text: 'bb', partial: false },
    ]);
  });

  it('joins a line that arrives in several chunks', function () {
    assert.deepEqual(split(['ab', 'c', 'd\ne']), [
      { text: 'abcd', partial: false },
      { text: 'e', partial: true },
    ]);
  });

  it('keeps empty lines', function () {
    assert.deepEqual(split(['\n\nx\n']), [
      { text: '', partial: false },
      { text: '', partial: false },
      { text: 'x', partial: false },
    ]);
  });

  it('cuts a line longer than the limit into partial pieces, within one chunk', function () {
    assert.deepEqual(split(['0123456789abcdefXY\n']), [
      { text: '01234567', partial: true },
      { text: '89abcdef', partial: true },
      { text: 'XY', partial: false },
    ]);
  });

  it('cuts a long line that arrives without a newline, holding at most one piece', function () {
    assert.deepEqual(split(['0123', '4567', '89']), [
      { text: '01234567', partial: true },
      { text: '89', partial: true },
    ]);
  });

  it('passes invalid UTF-8 through untouched', function () {
    const [line] = split([Buffer.from([0xff, 0xfe, 0x0a])]);
    assert.deepEqual(Buffer.from(line.text, 'latin1'), Buffer.from([0xff, 0xfe]));
  });

  it('emits nothing at the end when the stream ended on a newline', function () {
    assert.deepEqual(split(['a\n']), [{ text: 'a', partial: false }]);
  });
});

describe('LineSplitter.cut (interactive jobs)', function () {
  it('emits an unterminated prompt as a partial line at once', function () {
    const splitter = new LineSplitter(1024);
    const out: SplitLine[] = [];
    splitter.push(Buffer.from('name? '), out);
    splitter.cut(out);
    assert.deepEqual(out.map((l) => [l.data.toString(), l.partial]), [['name? ', true]]);
  });

  it('keeps an unfinished UTF-8 character until its last byte arrives', function () {
    const splitter = new LineSplitter(1024);
    const euro = Buffer.from('€'); // 3 bytes
    const out: SplitLine[] = [];
    splitter.push(Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]), out);
    splitter.cut(out);
    splitter.push(Buffer.concat([euro.subarray(2), Buffer.from('\n')]), out);
    assert.deepEqual(out.map((l) => [l.data.toString(), l.partial]), [['a', true], ['€', false]]);
    assert.equal(incompleteUtf8Tail(Buffer.from('ok')), 0);
    assert.equal(incompleteUtf8Tail(euro), 0);
  });
});
