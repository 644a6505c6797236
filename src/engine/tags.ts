/** --tags / --skip-tags selection, as Ansible's: `always`, `never`, `tagged`, `untagged`, `all`. */

export interface TagFilter {
  only: string[];
  skip: string[];
}

export function selected(taskTags: string[], f: TagFilter): boolean {
  const tags = new Set(taskTags);
  const want = f.only.length ? f.only : ['all'];
  const skip = new Set(f.skip);
  let run = false;
  if (tags.has('always') && !skip.has('always')) run = true;
  else if (want.includes('all') && !tags.has('never')) run = true;
  else if (want.includes('tagged') && tags.size > 0 && !tags.has('never')) run = true;
  else if (want.includes('untagged') && tags.size === 0) run = true;
  else if (want.some((t) => tags.has(t))) run = true;
  if (!run) return false;
  if (skip.has('all')) return tags.has('always') && !skip.has('always');
  if (skip.has('tagged') && tags.size > 0) return false;
  if (skip.has('untagged') && tags.size === 0) return false;
  return ![...tags].some((t) => skip.has(t) && t !== 'always') || (tags.has('always') && !skip.has('always') && ![...tags].some((t) => skip.has(t)));
}
