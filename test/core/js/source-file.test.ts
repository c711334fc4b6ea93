import { describe, expect, it } from 'vitest';
import { parseJavaScript } from '../../../src/core/js/parse.js';
import { JsSource } from '../../../src/core/js/source-file.js';
import { IdentifierIndex } from '../../../src/core/js/identifier-index.js';

function sourceOf(code: string): JsSource {
  return new JsSource('fixture.js', code, parseJavaScript('fixture.js', code).program);
}

describe('JsSource name searches', () => {
  // Two bundled modules reuse the minified name `a` for different functions.
  const code = [
    'var m1 = (() => { function a(x) { return x } a(process.env.TZ); a(1); return a })();',
    'var m2 = (() => { function a(y) { return y } a("other"); return a })();',
    'function top(z) { return z } top(2); m1(top(3));',
  ].join('\n');

  it('finds the calls of a nested function only inside its own top-level statement', () => {
    const source = sourceOf(code);
    const firstA = source.functionsNamed('a')[0]!;
    const within = source.scopeSpanOf(firstA)!;
    expect(within).toEqual([source.statements[0]!.start, source.statements[0]!.end]);
    const scoped = source.callsOf('a', 24, within).map((c) => code.slice(c.start, c.end));
    expect(scoped).toEqual(['a(process.env.TZ)', 'a(1)']);
    // Without a scope every module's calls are found (what module-level names need).
    expect(source.callsOf('a').length).toBe(3);
  });

  it('knows which names are declared at top level', () => {
    const source = sourceOf(code);
    expect(source.isTopLevelName('top')).toBe(true);
    expect(source.isTopLevelName('m1')).toBe(true);
    expect(source.isTopLevelName('a')).toBe(false);
  });

  it('answers the same with an identifier index built beforehand, and ignores one built from another text', () => {
    const spans = (s: JsSource) => ({
      calls: s.callsOf('a').map((c) => [c.start, c.end]),
      scoped: s.callsOf('a', 24, s.scopeSpanOf(s.functionsNamed('a')[0]!)).map((c) => [c.start, c.end]),
      top: s.callsOf('top').map((c) => [c.start, c.end]),
      assigned: s.assignmentsTo('m1').map((c) => [c.start, c.end]),
    });
    const expected = spans(sourceOf(code));
    const indexed = sourceOf(code);
    indexed.useIndex(IdentifierIndex.build(code));
    expect(spans(indexed)).toEqual(expected);
    // An index of other text (a stale or mismatched build) must not answer for this one.
    const other = sourceOf(code);
    other.useIndex(IdentifierIndex.build(code.replace(/\ba\(/g, 'b(')));
    expect(spans(other)).toEqual(expected);
  });
});
