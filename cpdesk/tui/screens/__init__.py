"""One screen per view (Today, Keys, LOP, History) and the modal screens they open."""
