/** Resolves a variable name to its (already templated) value, or undefined when no layer defines it. */
export type Lookup = ((name: string) => unknown) & {
  /** Every name it resolves (the varnames lookup), where the lookup knows them. */
  names?: () => string[];
};
