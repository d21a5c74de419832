// @ts-check
// How the code panel's programs are written out: lines joined with the ones
// for options that are off left out, counted nouns, Rust and Go literals
// (f64, Duration, time.Duration), Go's import block as gofmt leaves it, the
// queue setting as a comment, and the small random number function the Rust
// programs share. Plain text in, plain text out; every scenario uses these.

/** Joins lines, leaving out the ones that are `false` (an option that is off). @param {(string | false)[]} lines */
export function program(lines) {
  return `${lines.filter((l) => l !== false).join('\n')}\n`;
}

/** `text` with a capital first letter. @param {string} text */
export function capital(text) {
  return text[0].toUpperCase() + text.slice(1);
}

/** `1 cook`, `3 cooks`. @param {number} n @param {string} noun */
export function count(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A Rust f64 literal. @param {number} x */
export function f64(x) {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** A Rust `Duration` of `ms` milliseconds. @param {number} ms */
export function rustMs(ms) {
  if (ms > 0 && ms % 1000 === 0) return `Duration::from_secs(${ms / 1000})`;
  if (Number.isInteger(ms)) return `Duration::from_millis(${ms})`;
  return `Duration::from_secs_f64(${ms / 1000})`;
}

/**
 * A Go `time.Duration` of `ms` milliseconds, spaced as gofmt prints it: with
 * blanks as a call's only argument, without among several or as an operand.
 * @param {number} ms @param {boolean} [spaced]
 */
export function goMs(ms, spaced = false) {
  const times = spaced ? ' * ' : '*';
  if (ms > 0 && ms % 1000 === 0) return ms === 1000 ? 'time.Second' : `${ms / 1000}${times}time.Second`;
  if (Number.isInteger(ms)) return ms === 1 ? 'time.Millisecond' : `${ms}${times}time.Millisecond`;
  return `time.Duration(${ms}${times}float64(time.Millisecond))`;
}

/** Go's import block, standard library first, as gofmt and goimports leave it. @param {string[]} paths */
export function goImports(paths) {
  const std = paths.filter((p) => !p.includes('.')).sort();
  const ext = paths.filter((p) => p.includes('.')).sort();
  const group = (/** @type {string[]} */ ps) => ps.map((p) => `\t"${p}"`);
  return ['import (', ...group(std), ...(ext.length ? ['', ...group(ext)] : []), ')'].join('\n');
}

/** What the queue setting means, as a trailing comment. @param {number} queue @param {string} noun what waits */
export function queueNote(queue, noun) {
  return queue === 0
    ? `no queue: each ${noun} waits for a free worker (a rendezvous)`
    : `${queue} queued at most; then the producer blocks`;
}

/** The Rust random number helper (no crate needed for a simulation). */
export const RUST_RANDOM = `
/// A random number in [0, 1): splitmix64, enough for a simulation.
fn random() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0x2545_f491_4f6c_dd1d);
    let mut z = STATE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}`;
