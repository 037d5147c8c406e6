"""Discovery: feeds, sitemaps and page classification for papers the registry does not know; registry drafts."""
