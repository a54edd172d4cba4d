from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('search_service', '0003_search_record_api'),
    ]

    operations = [
        migrations.AddField(
            model_name='searchrecord',
            name='cached',
            field=models.BooleanField(default=False),
        ),
    ]
