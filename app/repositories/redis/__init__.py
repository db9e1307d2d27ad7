"""Redis repositories: sessions, stream positions, request ids, generation feeds,
voice clips and rate-limit counters. The only code that reads or writes Redis keys."""
