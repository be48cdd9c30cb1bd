// "a kmeans model", "an ntm model": an algorithm's name with its article, as messages say it
// ("is a ntm state file" read wrong). NTM is said letter by letter (en-tee-em).

/** The name with "a" or "an" before it. */
export function withArticle(name: string): string {
  return /^(ntm|[aeiou])/i.test(name) ? `an ${name}` : `a ${name}`;
}
