// Named entry lists (docs/policy.md, "Presets"). Every string here is already canonical (a test holds it to that).

/** PyPI: the index and the file host, including its CDN subdomains. */
export const PYPI_HOSTS: readonly string[] = Object.freeze(['pypi.org', 'files.pythonhosted.org', '*.pythonhosted.org']);

/**
 * Cloud instance metadata services: IPv4 link-local (AWS, GCP, Azure IMDS, ECS task metadata),
 * IPv6 link-local, AWS's IPv6 IMDS, GCP's names, Alibaba's IMDS, Azure's wire server.
 */
export const CLOUD_METADATA_DENY: readonly string[] = Object.freeze([
  '169.254.0.0/16',
  'fe80::/10',
  'fd00:ec2::254',
  'metadata.google.internal',
  'metadata.goog',
  '100.100.100.200',
  '168.63.129.16',
]);

export const PRESETS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '@pypi': PYPI_HOSTS,
  '@cloud-metadata': CLOUD_METADATA_DENY,
});
