"""Running the department from the browser: the administrator's pages for rooms (opening hours,
closures), the procedure catalogue, the department (letterhead, logo, urgency targets, a link to
the site policy) and the modalities irflow talks to, and the first-run path that creates the
first administrator of an empty installation."""
