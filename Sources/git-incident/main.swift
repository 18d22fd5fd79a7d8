print("git-incident")
