from curriculum.cli import app

app()
