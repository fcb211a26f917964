"""`python -m generator` runs the same CLI as the `apicontract` command."""

from generator.cli import main

raise SystemExit(main())
