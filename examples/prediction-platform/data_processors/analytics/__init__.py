"""Phase-3 analytics processors: game summaries and upcoming-game context, pushed to by Pub/Sub."""
