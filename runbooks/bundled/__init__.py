"""The runbooks opsdash ships, one Markdown file per area, loaded after the user's own."""
