"""Jobs service: postings, search, saved searches, favourites, recommendations."""
