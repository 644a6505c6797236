/** Raised for a template that cannot be rendered; `variable` names what was undefined. */
export class TemplateError extends Error {
  constructor(message: string, readonly variable?: string) {
    super(message);
  }
}
