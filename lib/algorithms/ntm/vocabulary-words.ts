// What makes a vocabulary's word unable to name a feature, for --vocab files and the API's
// vocabulary option alike: the API had taken what the file reader refused — a word with a CR
// from a CRLF file split at '\n' ("america\r" in every topic), blanks around it, a byte-order
// mark inside the list (two Windows files joined with cat).

export type WordProblem =
  | { index: number; kind: 'empty' | 'newline' | 'byte-order mark' | 'blanks' }
  | { index: number; kind: 'repeat'; first: number };

/** The first word of `words` that cannot name a feature, and why; undefined when every word can. */
export function vocabularyProblem(words: readonly string[]): WordProblem | undefined {
  const seen = new Map<string, number>();
  for (const [index, word] of words.entries()) {
    if (word.trim() === '') return { index, kind: 'empty' };
    if (word.includes('\n')) return { index, kind: 'newline' };
    if (word.includes('\ufeff')) return { index, kind: 'byte-order mark' };
    if (word.trim() !== word) return { index, kind: 'blanks' };
    const first = seen.get(word);
    if (first !== undefined) return { index, kind: 'repeat', first };
    seen.set(word, index);
  }
  return undefined;
}
