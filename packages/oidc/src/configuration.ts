// The body of Fulcio's `GET /api/v2/configuration`: which issuers the CA accepts and what clients sign.
import type { IssuerConfig, IssuerType, OidcConfig } from './config.js';

export type ConfigurationIssuer = (
  | { readonly issuerUrl: string }
  | { readonly wildcardIssuerUrl: string }
) & {
  readonly audience: string;
  readonly challengeClaim: string;
  readonly spiffeTrustDomain: string;
  readonly issuerType: IssuerType;
  readonly subjectDomain: string;
  readonly skipEmailVerification: boolean;
};

export interface ConfigurationResponse {
  readonly issuers: readonly ConfigurationIssuer[];
}

/** The claim whose value the proof of possession signs: Fulcio's `issuerToChallengeClaim`. */
export function challengeClaimOf(issuer: IssuerConfig): string {
  return issuer.challengeClaim ?? (issuer.type === 'email' ? 'email' : 'sub');
}

function describe(issuer: IssuerConfig) {
  // Every scalar is present, defaults included, as protojson prints them with EmitUnpopulated.
  return {
    audience: issuer.clientId,
    challengeClaim: challengeClaimOf(issuer),
    spiffeTrustDomain: issuer.spiffeTrustDomain ?? '',
    issuerType: issuer.type,
    subjectDomain: issuer.subjectDomain ?? '',
    skipEmailVerification: issuer.skipEmailVerification,
  };
}

/** Exact issuers first, then wildcard ones, each in configuration order. */
export function configurationResponse(config: OidcConfig): ConfigurationResponse {
  const issuers: ConfigurationIssuer[] = [];
  for (const [url, issuer] of config.oidcIssuers)
    issuers.push({ issuerUrl: url, ...describe(issuer) });
  for (const [pattern, issuer] of config.metaIssuers) {
    issuers.push({ wildcardIssuerUrl: pattern, ...describe(issuer) });
  }
  return { issuers };
}
