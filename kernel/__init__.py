"""The shared kernel below every app: entity keys and how to find them.

- keys: the one normaliser of company domains and LinkedIn profile URLs, and the names of its
  SQL twins (kernel/migrations/0001_key_functions.py);
- lookups: conditions that find a table's rows under any stored spelling of some keys;
- statements: statements bound on the server, on Django's connection;
- caches: values a process keeps for a while, all cleared with one call;
- replica: which reads a streaming standby may answer, and Django's router that sends them;
- clients: the address a request came from, behind the proxies the operator trusts;
- csv_cells: the CSV writer of every export, which never writes a cell a spreadsheet runs;
- webhooks: POSTing to an operator's webhook within a deadline, never to inner addresses;
- entry_points: what the q2 cluster may run, with the arguments and permission each needs;
- formats: how numbers are written for people (counts, credits, measured values);
- ids: row ids that grow with time, in Python and SQL (kernel/migrations/0003).

Apps import from `kernel` only, never from its modules.
"""

from kernel.caches import ProcessCache, process_caches_clear
from kernel.clients import client_address
from kernel.csv_cells import SafeCsvWriter, csv_cell, csv_lines
from kernel.entry_points import EntryPoint, EntryPointRefused
from kernel.formats import count_text, credits_text, number_text
from kernel.ids import TimeOrderedUUID, time_ordered_uuid
from kernel.keys import (
    COMPANY,
    KEY_FUNCTION_SCHEMA,
    KEY_FUNCTIONS,
    PERSON,
    InvalidEntityKey,
    domain_or_none,
    entity_key_or_none,
    index_probes,
    normalise_domain,
    normalise_entity_key,
    normalise_linkedin_url,
    stored_variants,
)
from kernel.lookups import KeyLookup, key_function_indexes, key_lookup
from kernel.replica import (
    REPLICA,
    read_alias,
    replica_check,
    replica_configured,
    replica_failed,
    replica_or_primary,
    replica_state,
)
from kernel.sql import key_function_call, key_function_value, lookup_condition
from kernel.statements import connection_pooled, server_bound_fetch
from kernel.webhooks import WebhookFailed, webhook_address, webhook_label, webhook_post

__all__ = [
    "COMPANY", "EntryPoint", "EntryPointRefused", "InvalidEntityKey", "KEY_FUNCTIONS", "KEY_FUNCTION_SCHEMA",
    "KeyLookup", "PERSON", "ProcessCache", "REPLICA", "SafeCsvWriter", "TimeOrderedUUID", "WebhookFailed",
    "client_address", "connection_pooled", "count_text", "credits_text", "csv_cell", "csv_lines", "domain_or_none",
    "entity_key_or_none", "index_probes", "key_function_call", "key_function_indexes", "key_function_value",
    "key_lookup", "lookup_condition", "normalise_domain", "normalise_entity_key", "normalise_linkedin_url",
    "number_text", "process_caches_clear", "read_alias", "replica_check", "replica_configured", "replica_failed",
    "replica_or_primary", "replica_state", "server_bound_fetch", "stored_variants",
    "time_ordered_uuid", "webhook_address", "webhook_label", "webhook_post",
]
