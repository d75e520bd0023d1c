"""What a vulnerability scan reports, and the policy applied to it.

The scan pipeline: inventory -> matches (`tenlayer.vulndb.match`) -> policy
(`policy.apply_policy`: VEX documents, ignore files, `--ignore-unfixed`) -> findings
(`findings.vulnerability_findings`) -> health grade (`grade.grade`) -> a `ScanResult`
that every report format renders (`tenlayer.report`: table, json, sarif; CycloneDX with
vulnerabilities in `tenlayer.sbom.cyclonedx`).

Suppressed matches stay in the result with their reason (`VulnerabilityMatch.suppressed_by`):
reports list them apart, SARIF marks them suppressed and CycloneDX gives their analysis, but
they are neither findings nor counted in the grade.
"""
