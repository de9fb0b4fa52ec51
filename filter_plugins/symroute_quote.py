"""The symroute_quote filter: every string a symroute template writes, quoted for its target syntax."""

from ansible.errors import AnsibleFilterError

DOCUMENTATION = """
  name: symroute_quote
  short_description: write a value safely into one target syntax (nftables, systemd, sysctl, shell, ...)
  description:
    - symroute's templates pass every string they write through this filter. Names, interfaces and paths
      were validated on the controller; this is the second line of defence. A value that does not fit its
      syntax fails the task instead of being written, and free text in comments is escaped so that it can
      never end the comment's line.
  positional: _input, syntax
  options:
    _input:
      description: The value to write.
      type: raw
      required: true
    syntax:
      description:
        - "C(comment): free text on one comment line (non-printable characters escaped)."
        - "C(nft_string): a quoted nftables string of token characters."
        - "C(token): letters, digits and C(_ . : / @ + -) only, unquoted."
        - "C(sysctl_key): a sysctl key (C(net.ipv4.conf.eth0.rp_filter))."
        - "C(systemd): one double-quoted word of a unit setting (C(%) and C($) escaped)."
        - "C(shell): a POSIX shell word. C(prometheus_label): a quoted label value. C(json): a JSON value."
      type: str
      required: true
      choices: [comment, nft_string, token, sysctl_key, systemd, shell, prometheus_label, json]
"""

EXAMPLES = """
# iifname {{ link.interface | symroute_quote('nft_string') }}  ->  iifname "eth1"
# Environment={{ ('PYTHONPATH=' ~ dir) | symroute_quote('systemd') }}
# # Router {{ router | symroute_quote('comment') }}
"""

RETURN = """
  _value:
    description: The value written for the syntax.
    type: str
"""


def symroute_quote(value, syntax):
    # Imported when the filter runs: Ansible loads every filter plugin it finds, and the collection does
    # not carry the engine (its sdist is installed beside it: execution-environment.yml, docs/awx.md).
    try:
        from symroute.quoting import QuotingError, quote
    except ImportError as error:
        raise AnsibleFilterError(f"symroute_quote needs symroute's plan engine on the controller: {error}") from None
    try:
        return quote(value, syntax)
    except QuotingError as error:
        raise AnsibleFilterError(f"symroute_quote: {error}") from None


class FilterModule:
    """symroute's quoting filter."""

    def filters(self):
        return {"symroute_quote": symroute_quote}
