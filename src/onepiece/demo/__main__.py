"""``python -m onepiece.demo``: what ``make demo`` runs."""

from onepiece.demo import main

raise SystemExit(main())
