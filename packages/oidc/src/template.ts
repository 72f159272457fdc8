// The tiny subset of Go text/template that Fulcio's `ci-provider` templates use: literal text and
// `{{ .name }}` substitutions, or a bare claim name standing for that claim's value.
import { OidcError, quoteForMessage } from './errors.js';

export type TemplatePart = { readonly literal: string } | { readonly claim: string };

export interface ClaimTemplate {
  /** The text as configured, for error messages and round-tripping. */
  readonly source: string;
  /** `bare`: the whole source is one claim name; `template`: literal text and substitutions. */
  readonly kind: 'bare' | 'template';
  readonly parts: readonly TemplatePart[];
}

const SUBSTITUTION = /^\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*$/;

/**
 * Parses one template at configuration time, so that a typo fails loading instead of a signing
 * request. `where` names the configuration key in the error message.
 */
export function parseClaimTemplate(source: string, where: string): ClaimTemplate {
  if (source.length === 0) throw new OidcError('INVALID_CONFIG', `${where}: empty template`);
  if (!source.includes('{{')) {
    if (/\s/.test(source)) {
      throw new OidcError(
        'INVALID_CONFIG',
        `${where}: ${quoteForMessage(source)} is neither a claim name nor a {{ .claim }} template`,
      );
    }
    return { source, kind: 'bare', parts: [{ claim: source }] };
  }
  const parts: TemplatePart[] = [];
  let rest = source;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      parts.push({ literal: rest });
      break;
    }
    if (open > 0) parts.push({ literal: rest.slice(0, open) });
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) throw new OidcError('INVALID_CONFIG', `${where}: unclosed "{{" in template`);
    const action = rest.slice(open + 2, close);
    const substitution = SUBSTITUTION.exec(action);
    if (!substitution) {
      // Pipelines, functions and conditionals would need a real template engine; refusing them keeps
      // the mapping from claims to certificate fields obvious to whoever reads the configuration.
      throw new OidcError(
        'INVALID_CONFIG',
        `${where}: unsupported template action ${quoteForMessage(`{{${action}}}`)}; only {{ .claim }} is supported`,
      );
    }
    parts.push({ claim: substitution[1]! });
    rest = rest.slice(close + 2);
  }
  return { source, kind: 'template', parts };
}

/**
 * Renders a template with `values` (token claims over configured defaults). A claim that has no value
 * fails with CLAIM_MISSING rather than rendering as an empty string into a certificate.
 */
export function renderClaimTemplate(
  template: ClaimTemplate,
  values: ReadonlyMap<string, string>,
): string {
  let out = '';
  for (const part of template.parts) {
    if ('literal' in part) {
      out += part.literal;
      continue;
    }
    const value = values.get(part.claim);
    if (value === undefined) {
      throw new OidcError(
        'CLAIM_MISSING',
        `token has no string claim ${quoteForMessage(part.claim)} and the issuer configures no default for it`,
      );
    }
    out += value;
  }
  return out;
}
