/**
 * A small `ast.literal_eval`: what Ansible's INI inventory does to values.
 * Numbers, quoted strings, True/False/None, lists, tuples and dicts; anything
 * else stays the string it was.
 */
class LiteralParser {
  private i = 0;
  constructor(private s: string) {}

  parse(): unknown {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) throw new Error('trailing text');
    return v;
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '[' || c === '(') return this.seq(c === '[' ? ']' : ')');
    if (c === '{') return this.dict();
    if (c === '"' || c === "'") return this.str();
    const m = /^(?:[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)|True|False|None)/.exec(this.s.slice(this.i));
    if (!m) throw new Error('not a literal');
    this.i += m[0].length;
    const t = m[0];
    if (t === 'True') return true;
    if (t === 'False') return false;
    if (t === 'None') return null;
    const clean = t.replace(/_/g, '');
    if (/^[+-]?0[xob]/i.test(clean)) {
      const neg = clean.startsWith('-');
      const body = clean.replace(/^[+-]/, '');
      const n = Number.parseInt(body.slice(2), body[1].toLowerCase() === 'x' ? 16 : body[1].toLowerCase() === 'o' ? 8 : 2);
      return neg ? -n : n;
    }
    if (/^[+-]?0\d/.test(clean)) throw new Error('leading zeros are not allowed');
    return Number(clean);
  }

  private str(): string {
    const q = this.s[this.i++];
    let out = '';
    while (this.i < this.s.length && this.s[this.i] !== q) {
      const c = this.s[this.i++];
      if (c === '\\') {
        const n = this.s[this.i++];
        out += ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' } as Record<string, string>)[n] ?? '\\' + n;
      } else out += c;
    }
    if (this.s[this.i] !== q) throw new Error('unterminated string');
    this.i++;
    // Adjacent string literals concatenate, as in Python.
    this.ws();
    if (this.s[this.i] === '"' || this.s[this.i] === "'") out += this.str();
    return out;
  }

  private seq(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) { this.i++; return out; }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') { this.i++; continue; }
      if (this.s[this.i] === close) { this.i++; return out; }
      throw new Error('bad sequence');
    }
  }

  private dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') { this.i++; return out; }
      const k = this.value();
      this.ws();
      if (this.s[this.i++] !== ':') throw new Error('bad dict');
      out[String(k)] = this.value();
      this.ws();
      if (this.s[this.i] === ',') { this.i++; continue; }
      if (this.s[this.i] === '}') { this.i++; return out; }
      throw new Error('bad dict');
    }
  }
}

/** Python's ast.literal_eval, falling back to the text itself. */
export function literalEval(text: string): unknown {
  try {
    return new LiteralParser(text).parse();
  } catch {
    return text;
  }
}
